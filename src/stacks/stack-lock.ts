// Who holds a tenant stack's update lock, read from a file backend's lock files, so a takeover
// clears a lock only when it belongs to the attempt that died. It never removes a lock itself:
// clearing goes through the engine (`cancel`), and a lock it cannot read is reported as unknown.
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the pulumi CLI writes into a lock file when it takes a stack. */
export type StackLock = { pid: number; hostname: string; timestamp: string };

export type LockVerdict =
  | { kind: 'unlocked' }
  /** The lock's process ran on this host and is gone, or it ran under the dead attempt's owner. */
  | { kind: 'dead'; lock: StackLock }
  /** A process on this host still holds it (the dead replica's orphaned engine, or an operator). */
  | { kind: 'alive'; lock: StackLock }
  /** Taken by another host or another attempt: not ours to clear. */
  | { kind: 'foreign'; lock: StackLock }
  /** The backend's locks cannot be read from here (not a file backend). */
  | { kind: 'unknown' };

function locksDir(backendUrl: string, project: string, stack: string): string | undefined {
  if (!backendUrl.startsWith('file://')) return undefined;
  return join(fileURLToPath(backendUrl), '.pulumi', 'locks', 'organization', project, stack);
}

export async function readStackLocks(backendUrl: string, project: string, stack: string): Promise<StackLock[] | undefined> {
  const dir = locksDir(backendUrl, project, stack);
  if (!dir) return undefined;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const locks = await Promise.all(
    names.map((name) =>
      readFile(join(dir, name), 'utf8').then(
        (text) => JSON.parse(text) as StackLock,
        () => undefined, // released while we looked
      ),
    ),
  );
  return locks.filter((lock): lock is StackLock => lock !== undefined);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Judges the stack's lock against the attempt that died: taken on its host no earlier than it
 * started. On this host a lock is dead only when its process is gone.
 */
export async function judgeStackLock(
  backendUrl: string,
  project: string,
  stack: string,
  deadAttempt: { host: string; startedAt: string },
): Promise<LockVerdict> {
  const locks = await readStackLocks(backendUrl, project, stack);
  if (locks === undefined) return { kind: 'unknown' };
  const lock = locks[0];
  if (!lock) return { kind: 'unlocked' };
  if (lock.hostname === hostname() && processAlive(lock.pid)) return { kind: 'alive', lock };
  const takenDuringAttempt = lock.hostname === deadAttempt.host && Date.parse(lock.timestamp) >= Date.parse(deadAttempt.startedAt) - 5_000;
  return takenDuringAttempt ? { kind: 'dead', lock } : { kind: 'foreign', lock };
}
