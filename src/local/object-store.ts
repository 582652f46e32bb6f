// The local object store: versitygw on loopback with its posix backend under the data dir,
// started and stopped by the service, and started again (with a growing pause) when it dies. It
// must never listen beyond 127.0.0.1, and it is only started once its event webhook (the
// service) already listens, since it posts a test event.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Connection } from '../domain/s3-connection.js';
import { readOrCreateSecret } from './data-dir-secret.js';
import { versitygwPath } from '../domain/toolchain.js';

export const LOCAL_REGION = 'us-east-1';
const HEALTH_PATH = '/health';

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
  readyTimeoutMs?: number;
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

async function waitUntilHealthy(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the object store exited during start (code ${child.exitCode}):\n${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}${HEALTH_PATH}`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the object store did not become ready within ${timeoutMs} ms:\n${output()}`);
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
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      options.onExit?.(code, signal);
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`cannot start the object store (${versitygwPath()}): ${error.message}. Run \`npm run setup\`.`)));
  });
  await waitUntilHealthy(endpoint, child, () => output.replaceAll(options.webhookUrl, '<webhook>'), options.readyTimeoutMs ?? 120_000);

  let stopping: Promise<void> | undefined;
  return {
    connection: { endpoint, region: LOCAL_REGION, credentials },
    process: child,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      })();
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

  /** `readyTimeoutMs` is shorter for a restart: the store has started here before, and a stop may be waiting. */
  const run = async (readyTimeoutMs?: number): Promise<LocalObjectStore> => {
    const startedAt = Date.now();
    let up = false; // an exit during the start is the starter's failure, not a crash to restart from
    const store = await startObjectStore({
      ...options,
      ...(readyTimeoutMs ? { readyTimeoutMs } : {}),
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
        current = await run(RESTART_READY_TIMEOUT_MS);
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
