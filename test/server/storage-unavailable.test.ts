// When the object store cannot be reached: an upload and a delete answer 503 problem+json (never a
// raw SDK error or a hung request) and lose nothing, while reads keep answering from the catalog.
// The tenant is a row of its own: the stacks are not under test here, only what the server does
// when storage is gone.
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../../src/local/free-port.js';
import { buildApp } from '../../src/server/app.js';
import { createObjectStorage } from '../../src/server/storage/object-storage.js';
import { createServiceMetrics } from '../../src/metrics.js';
import { newVideoId, videoKey } from '../../src/domain/video-layout.js';
import { openTestCatalog } from '../helpers/catalog.js';

t.test('an unreachable object store: uploads and deletes answer 503, reads answer from the catalog', async (t) => {
  // Nothing listens on this port.
  const deadStore = { endpoint: `http://127.0.0.1:${await freePort()}`, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } };
  const fixture = await openTestCatalog(t, deadStore);
  const app = await buildApp({ config: loadConfig({}), adminToken: 'a'.repeat(32), services: fixture.services, metrics: createServiceMetrics(), logLevel: 'silent' });
  t.teardown(() => app.close());
  const headers = { authorization: `Bearer ${fixture.apiKey}` };
  const id = newVideoId();
  await fixture.catalog.recordUpload({ tenantId: fixture.tenant.id, id, name: 'kept.mp4', key: videoKey(id, 'kept.mp4'), size: 4096, contentType: 'video/mp4', createdAt: new Date().toISOString() });

  const video = Buffer.alloc(4096, 1);
  video.write('ftypisom', 4, 'latin1');
  const form = new FormData();
  form.append('file', new Blob([video]), 'a.mp4');
  const request = new Request('http://x/videos', { method: 'POST', body: form });
  const upload = await app.inject({ method: 'POST', url: '/videos', headers: { ...headers, 'content-type': request.headers.get('content-type')! }, payload: Buffer.from(await request.arrayBuffer()) });
  const removal = await app.inject({ method: 'DELETE', url: `/videos/${id}`, headers });
  for (const [what, response] of [
    ['POST /videos', upload],
    ['DELETE /videos/:id', removal],
  ] as const) {
    t.equal(response.statusCode, 503, what);
    t.match(response.headers['content-type'], /^application\/problem\+json/);
    t.match(response.json(), { status: 503, title: 'Storage unavailable' });
  }

  const list = await app.inject({ url: '/videos', headers });
  t.equal(list.statusCode, 200, 'GET /videos answers from the catalog');
  t.same(list.json().items.map((item: { id: string }) => item.id), [id], 'the refused upload is not listed, the video the delete could not remove still is');
  const read = await app.inject({ url: `/videos/${id}`, headers });
  t.equal(read.statusCode, 200, 'GET /videos/:id answers from the catalog');
  t.match(read.json(), { id, status: 'pending', name: 'kept.mp4', thumbnails: [{ width: 96, url: /X-Amz-Signature=/ }, { width: 160 }] });
  const thumbnails = await app.inject({ url: '/thumbnails', headers });
  t.equal(thumbnails.statusCode, 200, 'GET /thumbnails answers from the catalog');
  t.same(thumbnails.json(), { items: [], nextCursor: null });
});
