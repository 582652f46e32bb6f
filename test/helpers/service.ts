// Test fixture: the whole service (engine, object store, function runner, HTTP app) on the local
// target, in a temp data dir, on free loopback ports (both kept when a test restarts the service),
// with a small client for its API. The test that starts it stops it, and the data dir goes with it.
import { readdirSync, readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { loadConfig, type Config } from '../../src/config.js';
import { freePort } from '../../src/local/free-port.js';
import { startService, type RunningService } from '../../src/service.js';
import { tempDir } from './local-store.js';

export type ApiCall = { method?: string; token?: string | null; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string>; signal?: AbortSignal };

export type TestService = RunningService & {
  config: Config;
  dataDir: string;
  /** fetch against the service; the admin token is sent unless `token` says otherwise (null: none). */
  api(path: string, call?: ApiCall): Promise<Response>;
  /** The object store process this service started (to freeze it), found by its listen address. */
  objectStorePid(): number;
};

/** Where a test service keeps its state and listens: fixed across a restart when a test reuses it. */
export type ServicePlace = { dataDir: string; port: number; s3Port: number };

/** A temp data dir (removed when the test ends, after the services on it stopped) and two free loopback ports. */
export async function servicePlace(t: Test): Promise<ServicePlace> {
  const dataDir = await tempDir(t, 'thumbforge-service-');
  const port = await freePort();
  let s3Port: number;
  do s3Port = await freePort();
  while (s3Port === port);
  return { dataDir, port, s3Port };
}

/** The process started to listen on `address` (`127.0.0.1:<port>` on its command line), as the object store is. */
export function pidListeningOn(address: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').includes(address)) return Number(entry);
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  throw new Error(`no process was started to listen on ${address}`);
}

/** Starts the service in `place` (a fresh one unless given); the test stops it, if it has not already. */
export async function startTestService(t: Test, env: Record<string, string> = {}, place?: ServicePlace): Promise<TestService> {
  const { dataDir, port, s3Port } = place ?? (await servicePlace(t));
  // Tests listen on loopback only, whatever the environment running them says. Scheduled drift
  // checks fire once a year (1 January), so no test meets one it did not ask for. Tests poll ten
  // times a second, so the rate limit is out of their way unless a test sets one (rate-limits.test.ts).
  const config = loadConfig({ THUMBFORGE_DRIFT_CHECK_CRON: '0 0 1 1 *', THUMBFORGE_RATE_LIMIT_PER_MINUTE: '1000000', ...env, HOST: '127.0.0.1', PORT: String(port), THUMBFORGE_S3_PORT: String(s3Port), THUMBFORGE_DATA_DIR: dataDir });
  const service = await startService(config, { logLevel: process.env.LOG_LEVEL ?? 'warn', sseHeartbeatMs: 300 });
  // Teardowns run last-registered first: the service stops before its data dir is removed.
  t.teardown(() => service.close());
  return {
    ...service,
    config,
    dataDir,
    api(path, call = {}) {
      const token = call.token === undefined ? service.adminToken : call.token;
      const headers: Record<string, string> = { ...call.headers };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body = call.body;
      if (call.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(call.json);
      }
      return fetch(`${service.url}${path}`, { method: call.method ?? 'GET', headers, body, signal: call.signal });
    },
    objectStorePid: () => pidListeningOn(`127.0.0.1:${s3Port}`),
  };
}
