// Test fixture: the whole service (engine, object store, function runner, HTTP app) on the local
// target, in a temp data dir, on free loopback ports, with a small client for its API. The test
// that starts it stops it, and the data dir goes with it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { loadConfig, type Config } from '../../src/config.js';
import { freePort } from '../../src/local/free-port.js';
import { startService, type RunningService } from '../../src/service.js';

export type ApiCall = { method?: string; token?: string | null; json?: unknown; body?: RequestInit['body']; headers?: Record<string, string>; signal?: AbortSignal };

export type TestService = RunningService & {
  config: Config;
  dataDir: string;
  /** fetch against the service; the admin token is sent unless `token` says otherwise (null: none). */
  api(path: string, call?: ApiCall): Promise<Response>;
};

async function twoFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  for (;;) {
    const second = await freePort();
    if (second !== first) return [first, second];
  }
}

export async function startTestService(t: Test, env: Record<string, string> = {}): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'thumbforge-service-'));
  const [port, s3Port] = await twoFreePorts();
  const config = loadConfig({ PORT: String(port), THUMBFORGE_S3_PORT: String(s3Port), THUMBFORGE_DATA_DIR: dataDir, ...env });
  let service: RunningService;
  try {
    service = await startService(config, { logLevel: process.env.LOG_LEVEL ?? 'warn', sseHeartbeatMs: 300 });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  t.teardown(async () => {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  });
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
  };
}
