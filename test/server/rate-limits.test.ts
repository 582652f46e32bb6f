// The rate limit, against the real local target with a limit of 3 requests a minute: each caller
// (the admin token, each tenant key, the IP on a public route) has its own count; the request over
// it is a 429 problem with Retry-After that writes nothing; another caller is not affected; the
// probes and the object store's events are never limited; every limited route documents its 429.
// Each caller's requests run back to back, well inside the minute their count lasts.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json } from '../helpers/http.js';
import { makeVideo } from '../helpers/videos.js';
import { readEventStream } from './sse-client.js';

const LIMIT = 3;

function form(content: Buffer): FormData {
  const data = new FormData();
  data.append('file', new Blob([content]), 'clip.mp4');
  return data;
}

/** The 429 problem, with a Retry-After within the minute. */
async function expectRateLimited(t: Test, response: Response, what: string) {
  const problem = await expectProblem(t, response, 429, what);
  t.match(problem.detail, /requests in a minute/, `${what}: the detail says why`);
  const retryAfter = Number(response.headers.get('retry-after'));
  t.ok(retryAfter >= 1 && retryAfter <= 60, `${what}: Retry-After ${retryAfter} s`);
}

t.test('a rate limit per caller', async (t) => {
  const service = await startTestService(t, { THUMBFORGE_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  const dir = await tempDir(t);
  const video = await readFile(await makeVideo(dir, { name: 'clip.mp4', seconds: 0.5, width: 64, height: 36 }));

  // The admin token's three requests, then a fourth.
  const created = await service.api('/tenants', { method: 'POST', json: { id: 'ratelimited', thumbnail: { widths: [64] } } });
  t.equal(created.status, 202);
  const keyA = (await json(created)).apiKey as string;
  const second = await service.api('/tenants/ratelimited/keys', { method: 'POST' });
  t.equal(second.status, 201);
  const keyB = (await json(second)).apiKey as string;
  t.equal((await service.api('/tenants/ratelimited')).status, 200);
  await expectRateLimited(t, await service.api('/tenants', { method: 'POST', json: { id: 'refused' } }), 'the admin token, a fourth time');

  // Key A's first request: the tenant's provisioning, to its end.
  const { messages } = await readEventStream(await service.api('/tenants/ratelimited/events', { token: keyA }));
  t.match(messages.at(-1), { event: 'done', data: { status: 'succeeded' } }, 'the tenant is provisioned');
  // Named as the local program names it: asking the API would spend one of key A's requests.
  const Bucket = bucketName('ratelimited');
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const stored = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }))).Contents ?? []).map((object) => object.Key!);

  t.test('public routes count per IP; the probes are never limited, and the API document lists 429 on every other route', async (t) => {
    const first = await service.api('/openapi.json', { token: null });
    t.equal(first.status, 200);
    const document = await json(first);
    for (let i = 1; i < LIMIT; i++) t.equal((await service.api('/openapi.json', { token: null })).status, 200);
    await expectRateLimited(t, await service.api('/openapi.json', { token: null }), 'this IP, a fourth time');
    for (let i = 0; i < 2 * LIMIT; i++) {
      t.equal((await service.api('/healthz', { token: null })).status, 200, 'liveness');
      t.equal((await service.api('/readyz', { token: null })).status, 200, 'readiness');
    }
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        const probe = path === '/healthz' || path === '/readyz';
        const limited = operation.responses['429'];
        if (probe) t.notOk(limited, `${method.toUpperCase()} ${path} documents no 429`);
        else t.ok(limited?.content?.['application/problem+json'], `${method.toUpperCase()} ${path} documents 429 as problem+json`);
      }
    }
  });

  t.test('a tenant key over the limit is refused 429 and writes nothing; another key of the same tenant is not affected', async (t) => {
    for (let i = 0; i < LIMIT; i++) t.equal((await service.api('/videos/01ARZ3NDEKTSV4RRFFQ69G5FAV', { token: keyB })).status, 404);
    const refused = await service.api('/videos', { method: 'POST', token: keyB, body: form(video) });
    await expectRateLimited(t, refused, 'key B, a fourth time, uploading');
    t.same(await stored('videos/'), [], 'no object');
    t.same((await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? [], [], 'no multipart upload');

    const accepted = await service.api('/videos', { method: 'POST', token: keyA, body: form(video) });
    t.equal(accepted.status, 201, 'key A uploads');
    const { id } = await json(accepted);
    t.equal((await stored('videos/')).length, 1, 'its video is stored');
    t.equal((await service.api('/tenants/ratelimited', { token: keyA })).status, 200, 'and reads, its third request');
    // The store posts its events from this IP, whose count is spent: they are never limited.
    await eventually(async () => (await stored(`thumbnails/${id}/`)).some((key) => key.endsWith('meta.json')), 'the thumbnails of the upload');
    t.pass('the thumbnailer ran on the object event');
  });
});
