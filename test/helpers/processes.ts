// Finds the processes a test started indirectly (the engine's provider processes run in their own
// process group, so killing a group does not reach them): by a text in their environment or on
// their command line (PostgreSQL and versitygw carry their data dir only there); and freezes one.
import { readdirSync, readFileSync } from 'node:fs';
import type { Test } from 'tap';

export function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(text) || readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(text)) found.push(Number(entry));
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return found;
}

export function killProcessesMentioning(text: string): void {
  for (const pid of processesMentioning(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Freezes and thaws a process (SIGSTOP, SIGCONT) to hold whatever waits on it, deterministically;
 * the test's teardown thaws it if the test has not.
 */
export function processFreezer(t: Test, pid: number): { freeze(): void; thaw(): void } {
  let frozen = false;
  const thaw = () => {
    if (frozen) process.kill(pid, 'SIGCONT');
    frozen = false;
  };
  t.teardown(thaw);
  return {
    freeze() {
      process.kill(pid, 'SIGSTOP');
      frozen = true;
    },
    thaw,
  };
}
