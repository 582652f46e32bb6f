// When the object store cannot be reached, the video routes answer 503 problem+json (never a
// raw SDK error or a hung request). The tenant record is given directly: the stacks are not
// under test here, only what the server does when storage is gone.
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../../src/local/free-port.js';
import { buildApp } from '../../src/server/app.js';
import { createObjectStorage } from '../../src/server/storage/object-storage.js';
import { createServiceMetrics } from '../../src/metrics.js';
import { newApiKey } from '../../src/domain/api-keys.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import type { Tenant, TenantLifecycle } from '../../src/tenants/tenant-types.js';
import { appServices } from '../helpers/app-services.js';

t.test('an unreachable object store answers 503', async (t) => {
  const apiKey = newApiKey('acme');
  const now = new Date().toISOString();
  const tenant: Tenant = {
    id: 'acme',
    status: 'ready',
    settings: DEFAULT_THUMBNAIL_SETTINGS,
    settingsVersion: 1,
    outputs: { bucket: 'thumbforge-acme', bucketArn: 'arn:aws:s3:::thumbforge-acme', functionName: 'f', functionArn: 'arn', region: 'us-east-1' },
    createdAt: now,
    updatedAt: now,
  };
  const tenants = {
    get: async (id: string) => (id === tenant.id ? tenant : undefined),
    authenticate: async (key: string) => (key === apiKey ? tenant.id : undefined),
  } as TenantLifecycle;
  // Nothing listens on this port.
  const deadStore = { endpoint: `http://127.0.0.1:${await freePort()}`, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } };
  const storage = createObjectStorage(deadStore, { timeoutSeconds: 10 });
  t.teardown(() => storage.close());
  const app = await buildApp({ config: loadConfig({}), adminToken: 'a'.repeat(32), services: appServices({ tenants, storage }), metrics: createServiceMetrics(), logLevel: 'silent' });
  t.teardown(() => app.close());
  const headers = { authorization: `Bearer ${apiKey}` };

  const video = Buffer.alloc(4096, 1);
  video.write('ftypisom', 4, 'latin1');
  const form = new FormData();
  form.append('file', new Blob([video]), 'a.mp4');
  const request = new Request('http://x/videos', { method: 'POST', body: form });
  const upload = await app.inject({ method: 'POST', url: '/videos', headers: { ...headers, 'content-type': request.headers.get('content-type')! }, payload: Buffer.from(await request.arrayBuffer()) });
  for (const [what, response] of [
    ['POST /videos', upload],
    ['GET /videos/:id', await app.inject({ url: '/videos/01ARZ3NDEKTSV4RRFFQ69G5FAV', headers })],
    ['GET /thumbnails', await app.inject({ url: '/thumbnails', headers })],
  ] as const) {
    t.equal(response.statusCode, 503, what);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.match(response.json(), { status: 503, title: 'Storage unavailable' });
  }
});
