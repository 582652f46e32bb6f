// Test fixture: `npm run cluster` (scripts/cluster.ts) as a child process in its own process group,
// on free loopback ports, with a temp data dir and heartbeats of 10 s. It follows the launcher's
// lines (`replica <i> <url> pid <pid>`, restarts included) and sends it control lines on stdin. At
// teardown: SIGTERM the launcher and wait for it, then SIGKILL its group and any process left of
// the data dir (by environment or command line: PostgreSQL and the store carry it only on theirs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import { projectRoot } from '../../src/domain/toolchain.js';
import { freePortRange } from '../../src/local/free-port.js';
import { tempDir } from './local-store.js';
import { killProcessesMentioning } from './processes.js';

export type ClusterReplicaInfo = { index: number; url: string; pid: number };

export type TestCluster = {
  dataDir: string;
  adminToken: string;
  databaseUrl: string;
  replicas: Map<number, ClusterReplicaInfo>;
  lines: string[];
  /** Resolves with the first line (from line `from` on) that `match` accepts; throws if the launcher exits first. */
  waitForLine(match: (line: string) => boolean, from?: number, timeoutMs?: number): Promise<string>;
  /** Sends a control line (`postgres stop` …) and waits for the launcher's answer starting with `answer`. */
  control(command: string, answer: string): Promise<string>;
  api(replica: number, path: string, init?: { method?: string; json?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** The launcher's pid (it leads its own process group). */
  pid: number;
  /** SIGTERMs the launcher and resolves with its exit code once it has exited. Idempotent. */
  stop(): Promise<number | null>;
};

const STOP_WAIT_MS = 120_000;

export async function startTestCluster(t: Test, options: { replicas: number; env?: Record<string, string> }): Promise<TestCluster> {
  const dataDir = await tempDir(t, 'thumbforge-cluster-');
  const port = await freePortRange(options.replicas + 1);
  const adminToken = randomBytes(24).toString('base64url');
  const child = spawn(process.execPath, ['--import=tsx', 'scripts/cluster.ts', '--replicas', String(options.replicas), '--port', String(port)], {
    cwd: projectRoot,
    env: { ...process.env, THUMBFORGE_DATA_DIR: dataDir, THUMBFORGE_HEARTBEAT_SECONDS: '10', THUMBFORGE_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'info', ...options.env },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Registered after the temp dir's: runs first, so everything is gone before the dir is removed.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  t.teardown(async () => {
    await stop();
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group has ended
    }
    killProcessesMentioning(dataDir);
  });

  const lines: string[] = [];
  const replicas = new Map<number, ClusterReplicaInfo>();
  const waiters = new Set<() => void>();
  const onLine = (line: string) => {
    lines.push(line);
    const replica = /^replica (\d+) (http:\/\/\S+) pid (\d+)$/.exec(line);
    if (replica) replicas.set(Number(replica[1]), { index: Number(replica[1]), url: replica[2]!, pid: Number(replica[3]) });
    if (process.env.THUMBFORGE_TEST_CLUSTER_VERBOSE) console.error(`[cluster] ${line}`);
    waiters.forEach((wake) => wake());
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', (line) => onLine(`stderr: ${line}`));
  exited.then(() => waiters.forEach((wake) => wake()));

  const waitForLine = async (match: (line: string) => boolean, from = 0, timeoutMs = 600_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.slice(from).find(match);
      if (found) return found;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the cluster launcher exited:\n${lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for a launcher line:\n${lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 1_000);
        waiters.add(wake);
      });
    }
  };

  await waitForLine((line) => line === 'cluster ready');
  const databaseUrl = /^postgres (\S+) pid \d+$/.exec((await waitForLine((line) => line.startsWith('postgres postgres://'))))![1]!;
  return {
    dataDir,
    adminToken,
    databaseUrl,
    replicas,
    lines,
    waitForLine,
    async control(command, answer) {
      const from = lines.length;
      child.stdin!.write(`${command}\n`);
      return waitForLine((line) => line.startsWith(answer), from);
    },
    api(replica, path, init = {}) {
      const url = replicas.get(replica)!.url;
      const headers: Record<string, string> = { authorization: `Bearer ${adminToken}`, ...init.headers };
      if (init.json !== undefined) headers['content-type'] = 'application/json';
      return fetch(`${url}${path}`, { method: init.method ?? 'GET', headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
    },
    pid: child.pid!,
    stop,
  };
}
