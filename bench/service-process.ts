// For benches: the compiled service (node dist/main.js, as `npm start` runs it) started as a child
// process on free loopback ports with a data dir of the bench's, and its memory read from /proc.
// Rate limits are lifted (a bench measures throughput, not the limiter). It never leaves the
// child running: stopServiceProcess waits for its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { COMPILED_MAIN, projectRoot, SERVICE_NODE_FLAGS } from '../src/domain/toolchain.js';
import { freePort } from '../src/local/free-port.js';

/** Far above what wrk at 50 connections sends with one key: the limiter never answers 429 in a bench. */
export const BENCH_RATE_LIMIT_PER_MINUTE = 100_000_000;
const READY_POLL_MS = 250;

export type ServiceProcess = { url: string; adminToken: string; pid: number; child: ChildProcess };

export async function startServiceProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  let s3Port = await freePort();
  while (s3Port === port) s3Port = await freePort();
  // A token the caller passes is kept (a second process on the same data dir answers to the first one's).
  const adminToken = env.THUMBFORGE_ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, COMPILED_MAIN], {
    cwd: projectRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      THUMBFORGE_S3_PORT: String(s3Port),
      THUMBFORGE_DATA_DIR: dataDir,
      THUMBFORGE_ADMIN_TOKEN: adminToken,
      THUMBFORGE_RATE_LIMIT_PER_MINUTE: String(BENCH_RATE_LIMIT_PER_MINUTE),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited (${child.signalCode ?? child.exitCode}) before it was ready`);
    const ready = await fetch(`${url}/readyz`).then(
      async (response) => (await response.body?.cancel(), response.ok),
      () => false,
    );
    if (ready) return { url, adminToken, pid: child.pid!, child };
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

export async function stopServiceProcess(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  await exited;
}

/** A /proc/<pid>/status field in KiB: VmRSS (resident now) or VmHWM (the peak since the last reset). */
export async function memoryKiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const value = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  if (value === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(value);
}

/** Resets VmHWM to the current RSS, so the next VmHWM reading is the peak from now on. */
export async function resetPeakMemory(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}
