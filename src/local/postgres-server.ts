// A PostgreSQL server from the machine's own binaries, as a child process of this one, for the
// tests and the cluster launcher: data, socket and log inside one dir, listening on 127.0.0.1 only,
// run as the unprivileged `postgres` user when this process is root. Never a public interface.
// The server outlives this process if it is SIGKILLed: whoever started it stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { postgresBinDir } from './postgres-binaries.js';

export const POSTGRES_DATABASE = 'thumbforge';
const READY_LINE = 'database system is ready to accept connections';
const OUTPUT_TAIL_CHARS = 8000;
const STALE_BACKENDS = 'pre-existing shared memory block';
const STALE_BACKEND_ATTEMPTS = 50;

export type PostgresServer = {
  readonly url: string;
  readonly port: number;
  /** The postmaster's pid (changes on restart). */
  readonly pid: number;
  /** A fast shutdown (`pg_ctl -m fast stop`: SIGINT); resolves once it exited. Idempotent. */
  stop(): Promise<void>;
  /** Signals the whole server (the postmaster and every backend), for fault tests. */
  kill(signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void;
  /** Stops it (if running) and starts it again on the same port and data. */
  restart(): Promise<void>;
};

export type PostgresServerOptions = { dir: string; port?: number; readyTimeoutMs?: number };

type Owner = { uid: number; gid: number };

/** PostgreSQL refuses to run as root: as root, it runs as `postgres`, which must exist. */
function serverOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry) {
    throw new Error('PostgreSQL refuses to run as root and there is no "postgres" user to run it as: install the "postgresql" package (it creates that user), or run as an unprivileged user.');
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

function binDir(): string {
  const dir = postgresBinDir();
  if (!dir) throw new Error('PostgreSQL server binaries (initdb, postgres) not found via `pg_config --bindir` or in /usr/lib/postgresql/*/bin: install the "postgresql" package (`npm run setup` does it when root).');
  return dir;
}

function run(command: string, args: string[], owner: Owner | undefined, logFile: string): ChildProcess {
  const child = spawn(command, args, {
    ...owner,
    // Its own process group: a terminal's Ctrl-C reaches the launcher, which stops the server in order.
    detached: true,
    // LC_ALL=C keeps the server's messages in English, since readiness is read from them.
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once('close', () => log.end());
  return child;
}

function collectOutput(child: ChildProcess): () => string {
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return () => output;
}

/** The postmaster and its children (each backend is a session leader, out of reach of a group signal). */
function signalServer(postmaster: number, signal: NodeJS.Signals): void {
  const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  for (const pid of [postmaster, ...children]) {
    try {
      process.kill(pid, signal);
    } catch {
      // a backend that ended meanwhile
    }
  }
}

async function initdb(dir: string, data: string, owner: Owner | undefined): Promise<void> {
  if (existsSync(join(data, 'PG_VERSION'))) return;
  const child = run(join(binDir(), 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], owner, join(dir, 'initdb.log'));
  const output = collectOutput(child);
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
  if (code !== 0) throw new Error(`initdb failed (exit ${code}):\n${output()}`);
}

/** Resolves once the server accepts connections; rejects with its output if it ends first. */
function untilReady(child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(`did not become ready within ${timeoutMs} ms`), timeoutMs);
    const onData = () => output().includes(READY_LINE) && finish();
    const onExit = () => finish(`exited during start (${child.exitCode ?? child.signalCode})`);
    const onError = (error: Error) => finish(`could not start: ${error.message}`);
    const finish = (failure?: string) => {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit).off('error', onError);
      if (failure) reject(new Error(`PostgreSQL ${failure}:\n${output()}`));
      else resolve();
    };
    child.stderr!.on('data', onData);
    child.once('exit', onExit).once('error', onError);
  });
}

async function createDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [POSTGRES_DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${POSTGRES_DATABASE}`);
  } finally {
    await client.end();
  }
}

export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const { dir } = options;
  const data = join(dir, 'data');
  const owner = serverOwner();
  const postgres = join(binDir(), 'postgres');
  await mkdir(data, { recursive: true, mode: 0o700 });
  if (owner) for (const path of [dir, data]) await chown(path, owner.uid, owner.gid);
  await initdb(dir, data, owner);

  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let exited = Promise.resolve();
  let paused = false;

  const startOnce = async () => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
    const next = run(postgres, args, owner, join(dir, 'postgres.log'));
    const output = collectOutput(next);
    child = next;
    exited = new Promise((resolve) => next.once('exit', () => resolve()).once('error', () => resolve()));
    await untilReady(next, output, options.readyTimeoutMs ?? 60_000).catch((error: unknown) => {
      next.kill('SIGKILL');
      throw error;
    });
  };

  // Backends killed (or orphaned) by a SIGKILL may take a moment to be gone; until they are, a new
  // postmaster refuses the data dir, so that one refusal is tried again.
  const start = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce();
      } catch (error) {
        if (attempt === STALE_BACKEND_ATTEMPTS || !String(error).includes(STALE_BACKENDS)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  const stop = async () => {
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      if (paused) signalServer(running.pid!, 'SIGCONT');
      running.kill('SIGINT');
    }
    paused = false;
    await exited;
  };

  await start();
  await createDatabase(port).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${POSTGRES_DATABASE}`,
    port,
    get pid() {
      return child!.pid!;
    },
    stop,
    kill(signal) {
      signalServer(child!.pid!, signal);
      if (signal !== 'SIGKILL') paused = signal === 'SIGSTOP';
    },
    async restart() {
      await stop();
      await start();
    },
  };
}
