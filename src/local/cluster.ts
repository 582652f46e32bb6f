// The scale-out shape on one machine (`npm run cluster -- --replicas N`), for users and tests: one
// PostgreSQL server, one object store and N thumbforge replicas sharing the data dir (Pulumi file
// backend, secrets, local-cloud registrations), the database and the store. It restarts a replica
// that dies, and on stop ends every process it started: replicas first (each gets its 30 s to hand
// over), then the store, then PostgreSQL. It must never listen beyond 127.0.0.1, never put a secret
// on a command line or in its output, and never leave a process of its data dir behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readOrCreateSecret, WEBHOOK_SECRET_KEY_FILE } from './data-dir-secret.js';
import { startObjectStore, type LocalObjectStore } from './object-store.js';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';
import { OBJECT_EVENTS_PATH } from '../server/routes/object-events/index.js';
import { COMPILED_MAIN, projectRoot, SERVICE_NODE_FLAGS } from '../domain/toolchain.js';

/** A replica handed SIGTERM must have handed over and exited by then (the service's own bound). */
const REPLICA_STOP_MS = 30_000;
const REPLICA_READY_MS = 180_000;
const READY_POLL_MS = 250;
const RESTART_DELAY_MS = 1_000;
const RESTART_DELAY_MAX_MS = 15_000;
const LOG_TAIL_CHARS = 4_000;

export type ClusterOptions = {
  replicas: number;
  /** Replica i listens on port + i. */
  port: number;
  dataDir: string;
  /** The object store's port; default port + replicas. */
  s3Port?: number;
  /** PostgreSQL's port; default a free one. */
  postgresPort?: number;
  /** The environment replicas inherit (PATH, LOG_LEVEL, THUMBFORGE_HEARTBEAT_SECONDS, THUMBFORGE_ADMIN_TOKEN…). */
  env?: NodeJS.ProcessEnv;
  /** Where progress lines go. */
  print?: (line: string) => void;
  /** Aborting it during the start stops what was started, and the start rejects. */
  signal?: AbortSignal;
};

export type ClusterReplica = { index: number; id: string; url: string; pid: number | undefined };

export type RunningCluster = {
  readonly replicas: readonly ClusterReplica[];
  /** `postgres stop` | `postgres start` | `postgres restart`: fault control for tests and operators. */
  control(command: string): Promise<void>;
  /** Stops everything in order; idempotent. */
  stop(): Promise<void>;
};

/** Tags each replica's processes (the engine's providers run in process groups of their own, so only a tag finds them). */
const MEMBER_ENV = 'THUMBFORGE_CLUSTER_MEMBER';

type Replica = ClusterReplica & {
  /** `<MEMBER_ENV>=<this launch>-<index>`: in the environment of every process of this replica. */
  tag: string;
  logFile: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  failures: number;
  log: WriteStream;
  tail: string;
};

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

const running = (child: ChildProcess | undefined): child is ChildProcess => !!child && child.exitCode === null && child.signalCode === null;

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has ended
  }
}

/** Processes whose environment holds `entry` exactly (a replica's tag reaches its engine and providers). */
function processesWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) found.push(Number(name));
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return found;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir);
  const env = options.env ?? process.env;
  const count = options.replicas;
  if (!Number.isInteger(count) || count < 1) throw new Error(`--replicas must be a positive integer (got ${count})`);
  const s3Port = options.s3Port ?? options.port + count;
  const logs = join(dataDir, 'logs');
  await mkdir(logs, { recursive: true });
  // As root, PostgreSQL runs as `postgres`, which must be able to reach <data>/postgres: traverse only.
  if (process.getuid?.() === 0) await chmod(dataDir, 0o711);

  // Secrets every replica reads at start are made once, here, before any replica could race to make
  // its own: the object store's event secret (fixed while the store is shared), the admin token, the
  // passphrase, the key webhook signing secrets are encrypted under. Their values are never printed.
  const eventSecret = (await readOrCreateSecret(dataDir, 'object-event-secret')).value;
  if (!env.THUMBFORGE_ADMIN_TOKEN) await readOrCreateSecret(dataDir, 'admin-token');
  if (!env.PULUMI_CONFIG_PASSPHRASE) await readOrCreateSecret(dataDir, 'pulumi-passphrase');
  if (!env.THUMBFORGE_WEBHOOK_SECRET_KEY) await readOrCreateSecret(dataDir, WEBHOOK_SECRET_KEY_FILE);

  let stopping: Promise<void> | undefined;
  let postgres: PostgresServer | undefined;
  let store: LocalObjectStore | undefined;
  const replicas: Replica[] = [];

  const stopReplica = async (replica: Replica) => {
    const child = replica.child;
    if (running(child)) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        print(`replica ${replica.index} did not exit within ${REPLICA_STOP_MS / 1000} s: SIGKILL`);
        signalGroup(child.pid, 'SIGKILL');
      }, REPLICA_STOP_MS);
      await replica.exited;
      clearTimeout(timer);
    }
    sweep(replica);
  };

  /** What is left of a replica once its node process has gone: its group (the engine) and the providers, which run in groups of their own. */
  const sweep = (replica: Replica) => {
    signalGroup(replica.child?.pid, 'SIGKILL');
    killAll(processesWithEnv(replica.tag));
  };

  const stop = () =>
    (stopping ??= (async () => {
      print(`stopping ${replicas.length} replica(s) (SIGTERM, up to ${REPLICA_STOP_MS / 1000} s each to hand over)`);
      await Promise.all(replicas.map(stopReplica));
      for (const replica of replicas) replica.log.end();
      if (store) {
        print('stopping the object store');
        await store.stop();
      }
      if (postgres) {
        print('stopping PostgreSQL');
        await postgres.stop();
      }
      print('cluster stopped');
    })());

  /** Starts the replica's process; resolves once /readyz answers 200 (false if it exited first or hung). */
  const launch = async (replica: Replica, databaseUrl: string): Promise<boolean> => {
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      PORT: String(options.port + replica.index),
      HOST: '127.0.0.1',
      THUMBFORGE_TARGET: 'local',
      THUMBFORGE_DATA_DIR: dataDir,
      THUMBFORGE_DATABASE_URL: databaseUrl,
      THUMBFORGE_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      THUMBFORGE_REPLICA_ID: replica.id,
      // Whichever replica runs a tenant's `up`, the bucket's CORS rule admits the console on every one.
      THUMBFORGE_CONSOLE_ORIGIN: env.THUMBFORGE_CONSOLE_ORIGIN ?? replicas.flatMap(({ index }) => [`http://127.0.0.1:${options.port + index}`, `http://localhost:${options.port + index}`]).join(','),
      [MEMBER_ENV]: replica.tag.slice(MEMBER_ENV.length + 1),
    };
    delete childEnv.THUMBFORGE_S3_PORT;
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, COMPILED_MAIN], {
      cwd: projectRoot,
      env: childEnv,
      // Its own process group: the launcher ends the replica and its engine together, and a
      // terminal's Ctrl-C reaches the launcher only, which stops replicas in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    replica.child = child;
    replica.pid = child.pid;
    replica.tail = '';
    const keep = (chunk: Buffer) => {
      replica.log.write(chunk);
      replica.tail = (replica.tail + chunk.toString()).slice(-LOG_TAIL_CHARS);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // 'exit', not 'close': an engine process the replica left behind may hold its pipes open.
    replica.exited = new Promise((done) => child.once('exit', () => done()));
    child.once('exit', (code, signal) => {
      if (stopping) return;
      print(`replica ${replica.index} (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`}); restarting it`);
      void restart(replica, databaseUrl);
    });
    const deadline = Date.now() + REPLICA_READY_MS;
    while (!stopping && running(child) && Date.now() < deadline) {
      if (await answers(`${replica.url}/readyz`)) {
        print(`replica ${replica.index} ${replica.url} pid ${child.pid}`);
        replica.failures = 0;
        return true;
      }
      await sleep(READY_POLL_MS);
    }
    if (running(child) && !stopping) {
      print(`replica ${replica.index} was not ready within ${REPLICA_READY_MS / 1000} s; killing it`);
      signalGroup(child.pid, 'SIGKILL');
    }
    return false;
  };

  const restart = async (replica: Replica, databaseUrl: string) => {
    await replica.exited;
    sweep(replica);
    if (stopping) return;
    // A replica that keeps failing (say, while PostgreSQL is down) is restarted ever more slowly.
    const delay = Math.min(RESTART_DELAY_MS * 2 ** replica.failures, RESTART_DELAY_MAX_MS);
    replica.failures++;
    await sleep(delay);
    if (stopping) return;
    print(`restarting replica ${replica.index} (log: ${replica.logFile})`);
    // A failed start exits, and its exit handler schedules the next try.
    await launch(replica, databaseUrl);
  };

  const abandon = () => void stop();
  options.signal?.addEventListener('abort', abandon, { once: true });
  try {
    if (options.signal?.aborted) throw new Error('the cluster start was abandoned');
    print(`data dir ${dataDir}`);
    print(`starting PostgreSQL in ${join(dataDir, 'postgres')}`);
    const pg = (postgres = await startPostgresServer({ dir: join(dataDir, 'postgres'), port: options.postgresPort }));
    print(`postgres ${pg.url} pid ${pg.pid}`);
    if (stopping) throw new Error('the cluster start was abandoned');

    const launchId = randomBytes(6).toString('hex');
    for (let index = 0; index < count; index++) {
      const id = `replica-${index}`;
      const logFile = join(logs, `${id}.log`);
      const tag = `${MEMBER_ENV}=${launchId}-${index}`;
      replicas.push({ index, id, tag, url: `http://127.0.0.1:${options.port + index}`, pid: undefined, logFile, failures: 0, tail: '', log: createWriteStream(logFile, { flags: 'a' }) });
    }
    print(`starting ${count} replica(s) on ports ${options.port}-${options.port + count - 1} (logs in ${logs})`);
    const ready = replicas.map((replica) => launch(replica, pg.url));

    // The store posts a test event to its webhook as it starts: replica 0 must listen first
    // (it does before its database work, answering 503 until ready).
    const first = replicas[0]!;
    const listenDeadline = Date.now() + REPLICA_READY_MS;
    while (!(await answers(`${first.url}/healthz`))) {
      if (stopping || !running(first.child) || Date.now() > listenDeadline) throw new Error(`replica 0 did not start:\n${first.tail}`);
      await sleep(READY_POLL_MS);
    }
    print(`starting the object store on 127.0.0.1:${s3Port} (events to replica 0)`);
    store = await startObjectStore({
      dataDir,
      port: s3Port,
      webhookUrl: `${first.url}${OBJECT_EVENTS_PATH}?secret=${encodeURIComponent(eventSecret)}`,
      onExit: (code, signal) => {
        if (!stopping) print(`the object store exited unexpectedly (${signal ?? `code ${code}`})`);
      },
    });
    print(`object store ${store.connection.endpoint} pid ${store.process.pid}`);

    const results = await Promise.all(ready);
    const failed = results.flatMap((ok, index) => (ok ? [] : [index]));
    if (failed.length) {
      throw new Error(failed.map((index) => `replica ${index} did not become ready (log ${replicas[index]!.logFile}):\n${replicas[index]!.tail}`).join('\n'));
    }
    print(env.THUMBFORGE_ADMIN_TOKEN ? 'admin token: THUMBFORGE_ADMIN_TOKEN' : `admin token: in ${join(dataDir, 'secrets', 'admin-token')}`);
    if (stopping) throw new Error('the cluster start was abandoned');
    print('cluster ready');
  } catch (error) {
    await stop();
    // A part whose start was still under way when stop() ran (both stops are idempotent).
    await store?.stop();
    await postgres?.stop();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abandon);
  }

  const pg = postgres;
  return {
    get replicas() {
      return replicas.map(({ index, id, url, pid }) => ({ index, id, url, pid }));
    },
    async control(command) {
      const action = command.trim();
      if (action === 'postgres stop') {
        await pg.stop();
        print('postgres stopped');
      } else if (action === 'postgres start') {
        await pg.restart();
        print(`postgres started pid ${pg.pid}`);
      } else if (action === 'postgres restart') {
        await pg.restart();
        print(`postgres restarted pid ${pg.pid}`);
      } else if (action) {
        print(`unknown command "${action}" (known: postgres stop | postgres start | postgres restart)`);
      }
    },
    stop,
  };
}
