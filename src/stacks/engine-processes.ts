// Ends the engine processes of one stack's operation when cancelling did not: the Automation API
// cancels with one SIGINT, on which the CLI waits for in-flight provider calls, and a provider
// blocked on a dead store would hold the operation forever. This sends the CLI's "second
// interrupt" (terminate), then SIGKILLs what is left, providers included (they run in process
// groups of their own). Linux /proc only; it never touches a process outside this one's tree.
import { readdirSync, readFileSync } from 'node:fs';

/** Tags every CLI run with its stack (engine-workspace.ts sets it), whatever the command's arguments. */
export const ENGINE_STACK_ENV = 'THUMBFORGE_ENGINE_STACK';

type ProcessInfo = { pid: number; ppid: number; args: string[] };

function processTable(): ProcessInfo[] {
  const table: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces or parentheses: the fields after its last ')' are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      table.push({ pid: Number(entry), ppid, args });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

function descendantsOf(root: number, table: ProcessInfo[]): number[] {
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const child of table.filter((entry) => entry.ppid === parent)) {
      found.push(child.pid);
      queue.push(child.pid);
    }
  }
  return found;
}

function stackTagOf(pid: number): string | undefined {
  try {
    const tag = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((line) => line.startsWith(`${ENGINE_STACK_ENV}=`));
    return tag?.slice(ENGINE_STACK_ENV.length + 1);
  } catch {
    return undefined; // the process ended while we looked
  }
}

/** The pulumi CLI runs (started by this process) for `stackName`, each with its own descendants. */
export function engineRunsFor(stackName: string): Array<{ cli: number; descendants: number[] }> {
  const table = processTable();
  const mine = new Set(descendantsOf(process.pid, table));
  return table
    .filter((entry) => mine.has(entry.pid) && entry.args.some((arg) => /(^|\/)pulumi$/.test(arg)))
    .filter((entry) => stackTagOf(entry.pid) === stackName)
    .map((entry) => ({ cli: entry.pid, descendants: descendantsOf(entry.pid, table) }));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Terminates the stack's engine runs: a second SIGINT, then after `killAfterMs` SIGKILL for all of them. */
export async function terminateEngineRuns(stackName: string, killAfterMs = 5000): Promise<number> {
  const runs = engineRunsFor(stackName);
  for (const run of runs) signal(run.cli, 'SIGINT');
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  for (const run of runs) [run.cli, ...run.descendants].forEach((pid) => signal(pid, 'SIGKILL'));
  return runs.length;
}

/**
 * Bounds an engine call the Automation API takes no signal for (stack select/init/rm/ls, config,
 * cancel, outputs): on abort the stack's CLI runs are terminated and the call rejects with the
 * abort's reason, unless it settled first. Nothing of the call outlives the rejection.
 */
export function boundedEngineCall<T>(stackName: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => void terminateEngineRuns(stackName).then(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    call()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
