// Test fixture: a real versitygw on a free loopback port in a temp data dir, with a webhook
// receiver that records every event. Both are stopped by the test that started them.
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startObjectStore, type LocalObjectStore } from '../../src/local/object-store.js';
import { freePort } from '../../src/local/free-port.js';
import { createS3Client } from '../../src/domain/s3-connection.js';

export type WebhookDelivery = { url: string; body: unknown };

export async function tempDir(t: Test, prefix = 'thumbforge-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

/** An HTTP receiver for the store's webhook that records what it is sent. */
export async function webhookReceiver(t: Test) {
  const deliveries: WebhookDelivery[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    deliveries.push({ url: request.url ?? '', body: JSON.parse(body || 'null') });
    waiters.splice(0).forEach((wake) => wake());
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/hook?secret=test-secret`,
    deliveries,
    /** Resolves with the first delivery `match` accepts; the deadline only catches one that never comes. */
    async waitFor(match: (delivery: WebhookDelivery) => boolean, timeoutMs = 120_000): Promise<WebhookDelivery> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = deliveries.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('no matching webhook delivery');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
}

/** Starts a store for one test; `webhookUrl` defaults to a fresh receiver. */
export async function startTestStore(t: Test, webhookUrl?: string): Promise<LocalObjectStore & { dataDir: string }> {
  const dataDir = await tempDir(t);
  const url = webhookUrl ?? (await webhookReceiver(t)).url;
  // The default ready deadline only catches a store that never starts, never a slow start on loaded cores.
  const store = await startObjectStore({ dataDir, port: await freePort(), webhookUrl: url });
  t.teardown(() => store.stop());
  return Object.assign(store, { dataDir });
}

export function testS3Client(store: LocalObjectStore) {
  return createS3Client(store.connection);
}
