// Finds the machine's PostgreSQL server binaries (Debian's `postgresql` package keeps them in
// /usr/lib/postgresql/<major>/bin, off PATH). It only looks; it never installs anything.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN_ROOT = '/usr/lib/postgresql';
/** The server binaries the project runs. */
export const POSTGRES_COMMANDS = ['initdb', 'postgres'];

function hasServer(dir: string): boolean {
  return POSTGRES_COMMANDS.every((command) => existsSync(join(dir, command)));
}

function pgConfigBinDir(): string | undefined {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The newest directory holding `initdb` and `postgres`, or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  const fromPgConfig = pgConfigBinDir();
  if (fromPgConfig && hasServer(fromPgConfig)) return fromPgConfig;
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const majors = readdirSync(DEBIAN_ROOT).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  return majors.map((major) => join(DEBIAN_ROOT, major, 'bin')).find(hasServer);
}
