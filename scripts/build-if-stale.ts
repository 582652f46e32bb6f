// Builds the web console (web/ → web/dist) with Vite when the build is missing or older than its
// sources; `npm start` and `npm test` run it through bootstrap.mjs. It never touches anything else.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
export const webDir = join(root, 'web');
const builtPage = join(webDir, 'dist', 'index.html');

/** The newest change under web/ (sources, config, and directories, so a deleted file counts too). */
async function newestSourceChange(dir: string): Promise<number> {
  let newest = (await stat(dir)).mtimeMs;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSourceChange(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

export async function webConsoleStale(): Promise<boolean> {
  const built = await stat(builtPage).catch(() => undefined);
  if (!built) return true;
  // The lockfile too: a new Vite or a new bundled library changes the output.
  const lockfile = (await stat(join(root, 'package-lock.json'))).mtimeMs;
  return built.mtimeMs < Math.max(await newestSourceChange(webDir), lockfile);
}

/** Returns whether it built. */
export async function buildWebConsoleIfStale(): Promise<boolean> {
  if (!(await webConsoleStale())) return false;
  await build({ root: webDir, logLevel: 'warn' });
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildWebConsoleIfStale().then(
    (built) => built && console.log('[setup] web console built into web/dist'),
    (error: unknown) => {
      console.error(`[setup] building the web console failed: ${String(error)}`);
      process.exit(1);
    },
  );
}
