// Secrets the local target generates on first start and keeps in the data dir (mode 0600):
// the admin token, the Pulumi passphrase, the object store's root credentials, the key webhook
// signing secrets are encrypted under. Never logs them.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The key webhook signing secrets are encrypted under (unless THUMBFORGE_WEBHOOK_SECRET_KEY sets one). */
export const WEBHOOK_SECRET_KEY_FILE = 'webhook-secret-key';

export function secretsDir(dataDir: string): string {
  return join(dataDir, 'secrets');
}

/** Returns the stored secret, creating it on first use; `created` tells the caller to show it once. */
export async function readOrCreateSecret(
  dataDir: string,
  name: string,
  generate: () => string = () => randomBytes(32).toString('base64url'),
): Promise<{ value: string; created: boolean }> {
  const dir = secretsDir(dataDir);
  const path = join(dir, name);
  try {
    const value = (await readFile(path, 'utf8')).trim();
    if (value) return { value, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const value = generate();
  await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'w' });
  await chmod(path, 0o600);
  return { value, created: true };
}
