// The local object store: versitygw on loopback with its posix backend under the data dir,
// started and stopped by the service, and started again (with a growing pause) when it dies. It
// must never listen beyond 127.0.0.1, and it is only started once its event webhook (the
// service) already listens, since it posts a test event.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Connection } from '../domain/s3-connection.js';
import { readOrCreateSecret } from './data-dir-secret.js';
import { versitygwPath } from '../domain/toolchain.js';

export const LOCAL_REGION = 'us-east-1';
const HEALTH_PATH = '/health';
/** How long a start may take before its process is judged hung. */
const READY_TIMEOUT_MS = 120_000;
/** Enough of the output for a Go runtime's goroutine dump. */
const OUTPUT_TAIL_CHARS = 16_000;

export type LocalObjectStore = {
  connection: Required<S3Connection>;
  /** Resolves once the process has exited. */
  stop(): Promise<void>;
  readonly process: ChildProcess;
};

export type ObjectStoreOptions = {
  dataDir: string;
  port: number;
  /** Where the store posts every object event; carries the per-start secret. */
  webhookUrl: string;
  /** How long a start may go unanswered before its process is ended (default 120 s). */
  readyTimeoutMs?: number;
  /** Whether a start that never answered is made once more (default true; off where a caller retries itself). */
  retryHungStart?: boolean;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
};

/** The store's root credentials, created on first use in the data dir every replica of a cluster shares. */
export async function rootCredentials(dataDir: string) {
  const access = await readOrCreateSecret(dataDir, 's3-access-key', () => `TF${randomUpper(18)}`);
  const secret = await readOrCreateSecret(dataDir, 's3-secret-key');
  return { accessKeyId: access.value, secretAccessKey: secret.value };
}

function randomUpper(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => alphabet[byte % 32]).join('');
}

/** Why a store that is still running never answered its health check, for the error. */
class StoreNotReady extends Error {}

async function waitUntilHealthy(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastAnswer = 'no health check ended yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the object store exited during start (${child.signalCode ?? `code ${child.exitCode}`}):\n${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}${HEALTH_PATH}`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
      lastAnswer = `answered ${response.status}`;
    } catch (error) {
      // not listening yet
      lastAnswer = describeFailure(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const state = processState(child.pid);
  throw new StoreNotReady(`the object store (pid ${child.pid}, ${state}) did not become ready within ${timeoutMs} ms; its last health check ${lastAnswer}`);
}

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
}

/** The kernel's word for a process's state ("S (sleeping)", "T (stopped)"), from /proc. */
function processState(pid: number | undefined): string {
  try {
    return /^State:\s*(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'state unknown';
  } catch {
    return 'state unknown';
  }
}

/** Sends `signals`, then SIGKILL if the process has not exited within 5 s; resolves once it has. */
async function endProcess(child: ChildProcess, exited: Promise<unknown>, signals: NodeJS.Signals[]): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  for (const signal of signals) child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

/**
 * How a store that runs but never answered is ended: SIGQUIT (and SIGCONT, should something have
 * stopped it), on which the Go runtime prints every goroutine's stack to stderr for the error.
 */
const UNREADY_SIGNALS: NodeJS.Signals[] = ['SIGQUIT', 'SIGCONT'];

/** One process of the store, its exit and the tail of its output (the webhook URL masked). */
async function spawnStore(options: Pick<ObjectStoreOptions, 'port' | 'webhookUrl'>, credentials: { accessKeyId: string; secretAccessKey: string }, root: string, sidecar: string) {
  const child = spawn(
    versitygwPath(),
    ['--port', `127.0.0.1:${options.port}`, '--region', LOCAL_REGION, '--health', HEALTH_PATH, '--quiet', 'posix', '--sidecar', sidecar, root],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Credentials and the webhook secret travel by environment, never on a command line
      // that `ps` would show.
      env: {
        PATH: process.env.PATH,
        ROOT_ACCESS_KEY_ID: credentials.accessKeyId,
        ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        VGW_EVENT_WEBHOOK_URL: options.webhookUrl,
      },
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`cannot start the object store (${versitygwPath()}): ${error.message}. Run \`npm run setup\`.`)));
  });
  return { child, exited, output: () => output.replaceAll(options.webhookUrl, '<webhook>') };
}

export async function startObjectStore(options: ObjectStoreOptions): Promise<LocalObjectStore> {
  const root = join(options.dataDir, 'buckets');
  const sidecar = join(options.dataDir, 'bucket-meta');
  await mkdir(root, { recursive: true });
  // A sidecar keeps metadata out of xattrs, so any file system under the data dir works
  // (versitygw refuses a sidecar whose path merely starts with the root's, hence the names).
  await mkdir(sidecar, { recursive: true });
  const credentials = await rootCredentials(options.dataDir);
  const endpoint = `http://127.0.0.1:${options.port}`;
  // A start takes well under a second; one that runs on without ever answering is ended (its
  // stacks kept for the error) and, unless told otherwise, made once more with at least the
  // default time, so whatever held that one process cannot fail the start.
  const firstTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const timeoutsMs = options.retryHungStart === false ? [firstTimeoutMs] : [firstTimeoutMs, Math.max(firstTimeoutMs, READY_TIMEOUT_MS)];
  const hung: string[] = [];
  let started: Awaited<ReturnType<typeof spawnStore>> | undefined;
  for (const timeoutMs of timeoutsMs) {
    const attempt = await spawnStore(options, credentials, root, sidecar);
    try {
      await waitUntilHealthy(endpoint, attempt.child, attempt.output, timeoutMs);
      started = attempt;
      break;
    } catch (error) {
      if (!(error instanceof StoreNotReady)) throw error;
      await endProcess(attempt.child, attempt.exited, UNREADY_SIGNALS);
      hung.push(`${error.message}:\n${attempt.output()}`);
    }
  }
  if (!started) throw new Error(hung.join('\n--- started again:\n'));
  const { child, exited } = started;
  // Only the process that became the store reports its exit; an unready one ended here does not.
  void exited.then(({ code, signal }) => options.onExit?.(code, signal));

  let stopping: Promise<void> | undefined;
  return {
    connection: { endpoint, region: LOCAL_REGION, credentials },
    process: child,
    stop() {
      stopping ??= endProcess(child, exited, ['SIGTERM']);
      return stopping;
    },
  };
}

/** Pauses before starting a store that died again: doubling up to the maximum, reset by a long enough run. */
const RESTART_BACKOFF_MS = { first: 500, max: 30_000, resetAfterRun: 60_000 };
const RESTART_READY_TIMEOUT_MS = 15_000;

export type SupervisedObjectStore = Pick<LocalObjectStore, 'connection' | 'stop'>;

/**
 * A store that is started again when it exits unexpectedly, on the same port and data, so the
 * links and the connection handed out stay valid; until it answers again, requests to it fail
 * fast (connection refused), and the API answers 503. `onExit` hears of every unexpected exit,
 * `onRestart` of every new start (or a start that failed, with its error).
 */
export async function superviseObjectStore(
  options: Omit<ObjectStoreOptions, 'onExit'> & {
    onExit(code: number | null, signal: NodeJS.Signals | null): void;
    onRestart(outcome: { pid?: number; error?: unknown }): void;
  },
): Promise<SupervisedObjectStore> {
  let stopped = false;
  let pause = RESTART_BACKOFF_MS.first;
  let wake = () => {};
  let current: LocalObjectStore;
  let restarting: Promise<void> | undefined;

  /**
   * A restart waits less for the store to answer (it has started here before, and a stop may be
   * waiting), and a hung one is not made again here: the restart loop below tries again, with its pauses.
   */
  const run = async (again = false): Promise<LocalObjectStore> => {
    const startedAt = Date.now();
    let up = false; // an exit during the start is the starter's failure, not a crash to restart from
    const store = await startObjectStore({
      ...options,
      ...(again && { readyTimeoutMs: RESTART_READY_TIMEOUT_MS, retryHungStart: false }),
      onExit: (code, signal) => {
        if (stopped || !up) return;
        options.onExit(code, signal);
        if (Date.now() - startedAt > RESTART_BACKOFF_MS.resetAfterRun) pause = RESTART_BACKOFF_MS.first;
        restarting = restart();
      },
    });
    up = true;
    return store;
  };
  const restart = async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        wake = () => (clearTimeout(timer), resolve());
      });
      pause = Math.min(pause * 2, RESTART_BACKOFF_MS.max);
      if (stopped) return;
      try {
        current = await run(true);
        options.onRestart({ pid: current.process.pid });
        if (stopped) await current.stop();
        return;
      } catch (error) {
        options.onRestart({ error });
      }
    }
  };

  current = await run();
  return {
    connection: current.connection,
    async stop() {
      stopped = true;
      wake();
      await restarting;
      await current.stop();
    },
  };
}
