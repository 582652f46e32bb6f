// The HTTP contract of DESIGN.md, row by row and error by error, against the real local target:
// the pulumi engine, versitygw and ffmpeg. One service and its few tenants serve every subtest,
// since each `up` costs seconds.
import t, { type Test } from 'tap';
import { tracingChannel } from 'node:diagnostics_channel';
import { request as httpRequest } from 'node:http';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { isVideoId, safeVideoName, videoKey } from '../../src/domain/video-layout.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { expectDocumented, recordingApi } from '../helpers/api-document.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { imageInfo, makeTextFile, makeTruncatedVideo, makeVideo, mp4Lookalike } from '../helpers/videos.js';
import { readEventStream, type SseMessage } from './sse-client.js';

const MiB = 1024 * 1024;
const MAX_UPLOAD = 12 * MiB;
const WIDTHS = [96, 160];


function form(content: Buffer | string, fileName: string, field = 'file'): FormData {
  const data = new FormData();
  data.append(field, new Blob([content]), fileName);
  return data;
}

/**
 * Watches, through fastify's handler tracing channel, for the server to finish handling a request
 * for `url`. Subscribe before the request is made: fastify traces only while someone listens.
 */
function watchHandler(t: Test, url: string) {
  const { asyncEnd } = tracingChannel('fastify.request.handler');
  let ended = false;
  let wake = () => {};
  const onEnd = (message: unknown) => {
    if ((message as { request: { url: string } }).request.url !== url) return;
    ended = true;
    wake();
  };
  asyncEnd.subscribe(onEnd);
  t.teardown(() => asyncEnd.unsubscribe(onEnd));
  return {
    /** Whether the handler has returned, waiting at most `ms` for it. */
    async endedWithin(ms: number): Promise<boolean> {
      let timer: NodeJS.Timeout | undefined;
      if (!ended) await new Promise<void>((resolve) => ((wake = resolve), (timer = setTimeout(resolve, ms))));
      clearTimeout(timer);
      return ended;
    },
  };
}

/** The engine event that starts creating the tenant's bucket (its provider call comes next). */
const startsBucketCreate = (message: SseMessage) =>
  message.event === 'engine' && /::bucket$/.test((message.data as Json).event?.resourcePreEvent?.metadata?.urn ?? '');

t.test('the HTTP API on the local target', async (t) => {
  const service: TestService = await startTestService(t, { THUMBFORGE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const dir = await tempDir(t);
  // Every answer this test gets, checked at the end against the API document.
  const { api, answers } = recordingApi(service);

  // The object store is frozen (SIGSTOP) while the engine must not get ahead of a check: first while
  // both tenants provision (each `up` waits on its bucket call, so they stay provisioning, and the
  // events stream meets acme's operation live), later while hooli's retry runs.
  const { freeze, thaw } = processFreezer(t, service.objectStorePid());
  freeze();

  // Both tenants start provisioning now; the cheap checks run while the engine waits on the store.
  const createdA = await api('/tenants', { method: 'POST', json: { id: 'acme', thumbnail: { widths: WIDTHS, format: 'jpeg', at: '10%' } } });
  const bodyA = await json(createdA);
  const createdB = await api('/tenants', { method: 'POST', json: { id: 'globex' } });
  const bodyB = await json(createdB);
  const keyA = bodyA.apiKey as string;
  const keyB = bodyB.apiKey as string;
  const videoKeys = async (bucket: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'videos/' }))).Contents ?? []).map((object) => object.Key!).sort();
  const openUploads = async (bucket: string) => (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];

  t.test('POST /tenants answers 202 at once with the API key and the queued operation', async (t) => {
    t.equal(createdA.status, 202);
    t.match(bodyA, { id: 'acme', status: 'provisioning', apiKey: /^tf_acme_[A-Za-z0-9_-]{40,}$/, operation: { id: String, kind: 'up', status: /^(queued|running)$/ } });
    t.equal(createdA.headers.get('location'), '/tenants/acme');
    t.equal(createdB.status, 202);
    t.match(bodyB.apiKey, /^tf_globex_/);
  });

  t.test('POST /tenants refuses a taken id, a bad id, bad settings and unknown fields', async (t) => {
    await expectProblem(t, await api('/tenants', { method: 'POST', json: { id: 'acme' } }), 409, 'existing id');
    for (const id of ['Acme', 'ab', 'a_b_c', 'acme-', '9lives', 'x'.repeat(33)]) {
      await expectProblem(t, await api('/tenants', { method: 'POST', json: { id } }), 400, `id ${JSON.stringify(id)}`);
    }
    for (const thumbnail of [{ widths: [] }, { widths: [8] }, { widths: [100, 100] }, { format: 'gif' }, { at: '150%' }, { colour: 'red' }]) {
      await expectProblem(t, await api('/tenants', { method: 'POST', json: { id: 'initech', thumbnail } }), 400, `settings ${JSON.stringify(thumbnail)}`);
    }
    await expectProblem(t, await api('/tenants', { method: 'POST', json: { id: 'initech', extra: true } }), 400, 'unknown field');
    t.equal((await api('/tenants/initech')).status, 404, 'nothing was created by the refused calls');
  });

  t.test('authentication and authorization', async (t) => {
    const none = await expectProblem(t, await api('/tenants', { token: null }), 401, 'no token');
    t.match(none.detail, /Bearer/);
    t.equal((await api('/tenants', { token: null })).headers.get('www-authenticate'), 'Bearer');
    await expectProblem(t, await api('/tenants', { token: 'not-the-admin-token' }), 401, 'unknown token');
    await expectProblem(t, await api('/tenants', { token: `${keyA}x` }), 401, 'a tampered tenant key');
    await expectProblem(t, await api('/tenants', { token: keyA.replace('tf_acme_', 'tf_globex_') }), 401, "one tenant's secret under another's id");
    await expectProblem(t, await api('/tenants', { headers: { authorization: `Basic ${service.adminToken}` }, token: null }), 401, 'not a bearer token');
    await expectProblem(t, await api('/tenants', { token: keyA }), 403, 'a tenant key on an admin route');
    await expectProblem(t, await api('/tenants', { method: 'POST', token: keyA, json: { id: 'sneaky' } }), 403, 'a tenant creating tenants');
    await expectProblem(t, await api('/tenants/globex', { method: 'DELETE', token: keyA }), 403, 'a tenant deleting another');
    await expectProblem(t, await api('/tenants/acme/retry', { method: 'POST', token: keyA }), 403, 'a tenant retrying');
    await expectProblem(t, await api('/tenants/acme/preview', { method: 'POST', token: keyA }), 403, 'a tenant previewing');
    t.equal((await api('/healthz', { token: null })).status, 200, '/healthz needs no token');
  });

  t.test('a tenant sees its own record and no other (404, as if it did not exist)', async (t) => {
    const own = await api('/tenants/acme', { token: keyA });
    t.equal(own.status, 200);
    t.notOk('apiKeyHash' in (await json(own)), 'the key hash never leaves the service');
    await expectProblem(t, await api('/tenants/globex', { token: keyA }), 404, "another tenant's record");
    await expectProblem(t, await api('/tenants/globex/events', { token: keyA }), 404, "another tenant's events");
    await expectProblem(t, await api('/tenants/nobody', { token: keyA }), 404, 'a tenant that does not exist');
  });

  t.test('POST /videos answers 409 while the tenant is provisioning', async (t) => {
    const tenant = await json(await api('/tenants/globex'));
    t.equal(tenant.status, 'provisioning', 'still provisioning (its up waits on the frozen store)');
    await expectProblem(t, await api('/videos', { method: 'POST', token: keyB, body: form(mp4Lookalike(2048), 'early.mp4') }), 409, 'not ready');
  });

  t.test('GET /tenants/:id/events replays the operation, follows it live with heartbeats, ends with done', async (t) => {
    const response = await api('/tenants/acme/events', { token: keyA, headers: { accept: 'text/event-stream' } });
    t.equal(response.status, 200);
    t.match(response.headers.get('content-type'), /^text\/event-stream/);
    // The operation cannot finish before the store thaws, and the store thaws once a heartbeat came:
    // the stream is followed live, heartbeats and all, then to its end.
    const { messages, raw } = await readEventStream(response, 'done', undefined, (text) => void (text.includes(': heartbeat') && thaw()));
    thaw();
    t.equal(messages[0]?.event, 'operation', 'the operation record comes first');
    t.match(messages[0]?.data, { id: bodyA.operation.id, kind: 'up' });
    const seqOf = (message: SseMessage) => Number(message.id!.split(':')[1]);
    const engine = messages.filter((message) => message.event === 'engine');
    t.ok(engine.length > 3, 'engine events');
    t.ok(engine.every((message, index) => index === 0 || seqOf(message) > seqOf(engine[index - 1]!)), 'in order');
    // A tenant key sees resource steps and the summary, never diagnostics, config, inputs or outputs.
    const kinds = new Set(engine.flatMap((message) => Object.keys((message.data as Json).event).filter((key) => key !== 'sequence' && key !== 'timestamp')));
    t.ok(kinds.has('resourcePreEvent'), 'resource steps are there');
    t.ok([...kinds].every((kind) => ['resourcePreEvent', 'resOutputsEvent', 'resOpFailedEvent', 'summaryEvent', 'cancelEvent'].includes(kind)), `only steps and the summary (${[...kinds]})`);
    t.notMatch(raw, /arn:|diagnosticEvent|preludeEvent|"inputs"|"outputs"/, 'no ARN, diagnostic, config, input or output');
    t.match(raw, /: heartbeat/, 'heartbeats while the engine works');
    t.match(messages.at(-1), { event: 'done', data: { operationId: bodyA.operation.id, status: 'succeeded' } });

    const late = await readEventStream(await api('/tenants/acme/events'));
    const all = late.messages.filter((message) => message.event === 'engine');
    t.same(all.map(seqOf), all.map((_, index) => index + 1), 'the admin gets every event, numbered from 1, none missing');
    t.ok(all.length > engine.length && all.some((message) => 'preludeEvent' in (message.data as Json).event), "and the engine's own events the tenant did not get");
    t.ok(engine.every((message) => all.some((other) => other.id === message.id)), "the tenant's events keep their ids");
    t.equal(late.messages.at(-1)?.event, 'done');
    const resumed = await readEventStream(await api('/tenants/acme/events', { headers: { 'last-event-id': all.at(-3)!.id! } }));
    t.equal(resumed.messages.filter((message) => message.event === 'engine').length, 2, 'Last-Event-ID resumes after that event');
  });

  const tenantA = await eventually(async () => {
    const tenant = await json(await api('/tenants/acme'));
    return tenant.status === 'ready' ? tenant : undefined;
  }, 'acme ready');
  const bucketA = tenantA.outputs.bucket as string;

  t.test('GET /tenants and GET /tenants/:id describe the tenant', async (t) => {
    t.match(tenantA, {
      id: 'acme',
      status: 'ready',
      outputs: { bucket: String, functionName: String },
      settings: { widths: WIDTHS, format: 'jpeg', at: '10%' },
      lastOperation: { id: bodyA.operation.id, kind: 'up', status: 'succeeded' },
      createdAt: String,
    });
    const list = await json(await api('/tenants'));
    t.same(list.tenants.map((tenant: Json) => tenant.id).sort(), ['acme', 'globex']);
    t.match(list.tenants.find((tenant: Json) => tenant.id === 'globex'), { settings: { widths: [320, 640], format: 'jpeg' } }, 'default settings');
    await expectProblem(t, await api('/tenants/nobody'), 404, 'unknown tenant');
  });

  t.test('POST /tenants/:id/preview plans without changing anything', async (t) => {
    const existing = await api('/tenants/acme/preview', { method: 'POST' });
    t.equal(existing.status, 200);
    const plan = await json(existing);
    t.match(plan, { changes: { create: 0, update: 0, delete: 0, same: Number }, steps: Array });
    t.ok(plan.changes.same > 0, 'an existing tenant: everything is the same');
    const changed = await json(await api('/tenants/acme/preview', { method: 'POST', json: { thumbnail: { widths: [200] } } }));
    t.ok(changed.changes.update + changed.changes.create + changed.changes.delete > 0, 'other settings: a change');
    const fresh = await json(await api('/tenants/initech/preview', { method: 'POST', json: {} }));
    t.ok(fresh.changes.create > 0, 'a new tenant: creates');
    t.equal((await api('/tenants/initech')).status, 404, 'the preview created no tenant');
    t.match((await json(await api('/tenants/acme'))).lastOperation, { id: bodyA.operation.id }, 'and queued no operation');
    await expectProblem(t, await api('/tenants/Bad_Id/preview', { method: 'POST' }), 400, 'an invalid id');
  });

  // A ready tenant's retry (an `up` again) is test/server/tenant-updates.test.ts's; a retry while one runs is below.
  t.test('POST /tenants/:id/retry answers 404 for an unknown tenant', async (t) => {
    await expectProblem(t, await api('/tenants/nobody/retry', { method: 'POST' }), 404, 'unknown tenant');
  });

  // A plain file where the store keeps the bucket's directory: the store refuses to create it.
  const blocker = join(service.dataDir, 'buckets', bucketName('hooli'));
  let failedOperation: Json = {};
  t.test('a tenant whose bucket the store refuses turns failed, with the reason', async (t) => {
    await writeFile(blocker, 'in the way');
    t.equal((await api('/tenants', { method: 'POST', json: { id: 'hooli' } })).status, 202);
    const failed = await eventually(async () => {
      const tenant = await json(await api('/tenants/hooli'));
      return tenant.status === 'failed' ? tenant : undefined;
    }, 'hooli failed');
    failedOperation = failed.lastOperation;
    t.match(failedOperation, { kind: 'up', status: 'failed', error: new RegExp(bucketName('hooli')) });
    t.notOk(failed.outputs, 'no outputs');
  });

  // The store is frozen while the retry runs: the operation waits on its bucket call, live and silent.
  let retryOperation: Json = {};

  t.test('POST /tenants/:id/retry answers 202 for a failed tenant and re-runs up', async (t) => {
    await rm(blocker);
    freeze();
    const retried = await api('/tenants/hooli/retry', { method: 'POST' });
    t.equal(retried.status, 202);
    const body = await json(retried);
    t.match(body, { id: 'hooli', status: 'provisioning', operation: { kind: 'up', status: /^(queued|running)$/ } });
    t.not(body.operation.id, failedOperation.id, 'a new operation');
    retryOperation = body.operation;
    await expectProblem(t, await api('/tenants/hooli/retry', { method: 'POST' }), 409, 'a second retry while it runs');
  });

  t.test('the stream ends cleanly when the client leaves: the server ends its subscription at once', async (t) => {
    const url = '/tenants/hooli/events';
    const handler = watchHandler(t, url);
    const { messages } = await readEventStream(await api(url), startsBucketCreate);
    t.match(messages[0], { event: 'operation', data: { id: retryOperation.id } });
    // readEventStream has left. Nothing more happens in the frozen operation, so only the client
    // leaving can end the handler, which returns once its subscription has ended (the wait is long
    // only so that load never decides it; a handler that never returns fails it).
    t.ok(await handler.endedWithin(120_000), 'the events handler returned after the client left');
    t.match((await json(await api('/tenants/hooli'))).lastOperation, { id: retryOperation.id, status: 'running' }, 'while the operation still runs');
    t.equal((await api('/healthz')).status, 200);
  });

  t.test('the retried tenant turns ready once the store answers again', async (t) => {
    thaw();
    const ready = await eventually(async () => {
      const tenant = await json(await api('/tenants/hooli'));
      return tenant.status === 'ready' ? tenant : undefined;
    }, 'hooli ready');
    t.match(ready, { outputs: { bucket: bucketName('hooli') }, lastOperation: { id: retryOperation.id, status: 'succeeded' } });
  });

  let uploaded: Json = {};
  t.test('POST /videos streams a video into the bucket and answers 201 with a link per width', async (t) => {
    const video = await readFile(await makeVideo(dir, { name: 'clip.mp4', seconds: 2, width: 320, height: 180 }));
    const before = Date.now();
    const hostileName = '../../Évil name;$(rm -rf).MP4';
    const response = await api('/videos', { method: 'POST', token: keyA, body: form(video, hostileName) });
    const after = Date.now();
    t.equal(response.status, 201);
    uploaded = await json(response);
    t.match(uploaded, { tenant: 'acme', size: video.length, contentType: 'video/mp4', status: 'pending' });
    t.ok(isVideoId(uploaded.id), 'a server-generated sortable id');
    t.equal(uploaded.key, videoKey(uploaded.id, safeVideoName(hostileName, '.mp4')), 'the key is built from the safe name');
    t.match(uploaded.key, /^videos\/[0-9A-Z]{26}\/[a-z0-9][a-z0-9._-]*\.mp4$/, 'no path, shell or non-ASCII characters survive');
    t.equal(response.headers.get('location'), `/videos/${uploaded.id}`);
    t.same(uploaded.thumbnails.map((link: Json) => link.width), WIDTHS);
    for (const link of uploaded.thumbnails) {
      t.equal(link.key, `thumbnails/${uploaded.id}/w${link.width}.jpg`);
      t.match(link.url, /X-Amz-Signature=/);
      // Signed at the start of its window (a quarter of the hour): it expires within the hour, three quarters of it at least.
      const expires = Date.parse(link.expiresAt);
      t.ok(expires >= before + 2700_000 && expires <= after + 3600_000, 'links expire within the configured hour');
    }
    t.same(await videoKeys(bucketA), [uploaded.key], 'the object is in the bucket');
  });

  t.test('the admin uploads for a tenant named with ?tenant= (201); without it, 400 and nothing is written', async (t) => {
    const keysBefore = await videoKeys(bucketA);
    await expectProblem(t, await api('/videos', { method: 'POST', body: form(mp4Lookalike(4096), 'unnamed.mp4') }), 400, 'the admin without ?tenant=');
    t.same(await openUploads(bucketA), [], 'no upload was started');
    t.same(await videoKeys(bucketA), keysBefore, 'no object was written');
    const named = await api('/videos?tenant=acme', { method: 'POST', body: form(mp4Lookalike(4096), 'named.mp4') });
    t.equal(named.status, 201);
    const body = await json(named);
    t.match(body, { tenant: 'acme', size: 4096, status: 'pending' });
    t.equal(body.key, videoKey(body.id, safeVideoName('named.mp4', '.mp4')));
    t.same(await videoKeys(bucketA), [...keysBefore, body.key].sort(), "the object is in that tenant's bucket");
  });

  t.test('the thumbnails appear: GET /videos/:id turns ready and every link is an image of its width', async (t) => {
    const ready = await eventually(async () => {
      const state = await json(await api(`/videos/${uploaded.id}`, { token: keyA }));
      return state.status === 'ready' ? state : undefined;
    }, 'thumbnails ready', 120_000);
    t.match(ready, { id: uploaded.id, tenant: 'acme', key: uploaded.key });
    for (const link of ready.thumbnails) {
      const image = await fetch(link.url);
      t.equal(image.status, 200, `w${link.width} over HTTP`);
      const info = await imageInfo(Buffer.from(await image.arrayBuffer()));
      t.match(info, { codec: 'mjpeg', width: link.width }, `w${link.width} is a JPEG of that width`);
    }
    const byAdmin = await api(`/videos/${uploaded.id}?tenant=acme`);
    t.equal(byAdmin.status, 200, 'the admin reads it with ?tenant=');
    await expectProblem(t, await api(`/videos/${uploaded.id}`), 400, 'the admin without ?tenant=');
  });

  t.test('a video ffmpeg cannot decode turns failed with the reason', async (t) => {
    const broken = await readFile(await makeTruncatedVideo(dir, 'broken.mp4'));
    const created = await json(await api('/videos', { method: 'POST', token: keyA, body: form(broken, 'broken.mp4') }));
    const failed = await eventually(async () => {
      const state = await json(await api(`/videos/${created.id}`, { token: keyA }));
      return state.status === 'failed' ? state : undefined;
    }, 'video failed', 120_000);
    t.match(failed.error, /\S/, 'with a reason');
  });

  t.test('GET /videos/:id answers 404 for unknown ids', async (t) => {
    await expectProblem(t, await api('/videos/01ARZ3NDEKTSV4RRFFQ69G5FAV', { token: keyA }), 404, 'no such video');
    await expectProblem(t, await api('/videos/not-an-id', { token: keyA }), 404, 'not an id');
  });

  t.test('POST /videos refuses what is not a video (415), empty (400), missing (400), too large (413), leaving nothing', async (t) => {
    const keysBefore = await videoKeys(bucketA);
    const text = await readFile(await makeTextFile(dir, 'notes.mp4'));
    await expectProblem(t, await api('/videos', { method: 'POST', token: keyA, body: form(text, 'notes.mp4') }), 415, 'text named .mp4');
    await expectProblem(t, await api('/videos', { method: 'POST', token: keyA, body: form(Buffer.alloc(0), 'empty.mp4') }), 400, 'an empty file');
    await expectProblem(t, await api('/videos', { method: 'POST', token: keyA, body: form(mp4Lookalike(1024), 'a.mp4', 'video') }), 400, 'no "file" field');
    const notMultipart = await api('/videos', { method: 'POST', token: keyA, json: { file: 'x' } });
    await expectProblem(t, notMultipart, 400, 'not multipart');
    // A malformed multipart body is the client's fault: 400, never 500.
    const noBoundary = await api('/videos', { method: 'POST', token: keyA, headers: { 'content-type': 'multipart/form-data' }, body: 'x' });
    t.match((await expectProblem(t, noBoundary, 400, 'multipart without a boundary')).detail, /malformed/);
    const cut = `--cut\r\ncontent-disposition: form-data; name="file"; filename="cut.mp4"\r\ncontent-type: video/mp4\r\n\r\n${mp4Lookalike(4096).toString('latin1')}`;
    const truncated = await api('/videos', { method: 'POST', token: keyA, headers: { 'content-type': 'multipart/form-data; boundary=cut' }, body: Buffer.from(cut, 'latin1') });
    t.match((await expectProblem(t, truncated, 400, 'a multipart body that ends mid-part')).detail, /malformed|before the upload finished/);
    const tooLarge = await api('/videos', { method: 'POST', token: keyA, body: form(mp4Lookalike(MAX_UPLOAD + MiB), 'big.mp4') });
    const problem = await expectProblem(t, tooLarge, 413, 'over the limit');
    t.match(problem.detail, String(MAX_UPLOAD));
    t.same(await openUploads(bucketA), [], 'the multipart upload was aborted');
    t.same(await videoKeys(bucketA), keysBefore, 'no object was left in the bucket');
    const exact = await api('/videos', { method: 'POST', token: keyA, body: form(mp4Lookalike(MAX_UPLOAD), 'exact.mp4') });
    t.equal(exact.status, 201, 'exactly the limit is accepted');
  });

  t.test('a client that disconnects mid-upload leaves no upload and no object', async (t) => {
    const keysBefore = await videoKeys(bucketA);
    const url = new URL('/videos', service.url);
    const boundary = 'thumbforge-test-boundary';
    const request = httpRequest(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    request.on('error', () => undefined);
    request.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="gone.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
    request.write(mp4Lookalike(11 * MiB));
    await eventually(async () => (await openUploads(bucketA)).length === 1, 'the multipart upload to start');
    request.destroy();
    await eventually(async () => (await openUploads(bucketA)).length === 0, 'the multipart upload to be aborted');
    t.pass('the multipart upload was aborted');
    t.same(await videoKeys(bucketA), keysBefore, 'no object was left');
    t.equal((await api('/healthz')).status, 200);
  });

  t.test('GET /thumbnails pages with a cursor and a bounded limit', async (t) => {
    const all = await json(await api('/thumbnails', { token: keyA }));
    t.equal(all.nextCursor, null);
    const ours = all.items.filter((item: Json) => item.videoId === uploaded.id);
    t.same(ours.map((item: Json) => item.width).sort((a: number, b: number) => a - b), WIDTHS);
    for (const item of ours) t.match(item, { key: `thumbnails/${uploaded.id}/w${item.width}.jpg`, url: /X-Amz-Signature=/, expiresAt: String, size: Number, lastModified: String });
    t.notOk(all.items.some((item: Json) => item.key.endsWith('error.json')), 'failure records are not thumbnails');

    const paged: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Json = await json(await api(`/thumbnails?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: keyA }));
      t.ok(page.items.length <= 1, 'at most limit items');
      paged.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    t.same(paged.map((item) => item.key), all.items.map((item: Json) => item.key), 'the pages add up to the whole list');
    await expectProblem(t, await api('/thumbnails?limit=0', { token: keyA }), 400, 'limit 0');
    await expectProblem(t, await api('/thumbnails?limit=100000', { token: keyA }), 400, 'limit over the bound');
    await expectProblem(t, await api('/thumbnails?cursor=bm90LWEtY3Vyc29y', { token: keyA }), 400, 'a forged cursor');
  });

  t.test("a second tenant sees none of the first tenant's videos or thumbnails", async (t) => {
    await eventually(async () => (await json(await api('/tenants/globex'))).status === 'ready', 'globex ready');
    await expectProblem(t, await api(`/videos/${uploaded.id}`, { token: keyB }), 404, "another tenant's video");
    await expectProblem(t, await api(`/videos/${uploaded.id}?tenant=acme`, { token: keyB }), 404, "naming another tenant's id");
    await expectProblem(t, await api('/videos?tenant=acme', { method: 'POST', token: keyB, body: form(mp4Lookalike(2048), 'x.mp4') }), 404, 'uploading as another tenant');
    t.same((await json(await api('/thumbnails', { token: keyB }))).items, [], 'its own (empty) thumbnails only');
  });

  t.test('the object-event webhook is hidden and refuses a wrong secret', async (t) => {
    await expectProblem(t, await api('/internal/object-events?secret=guess', { method: 'POST', json: {}, token: null }), 404, 'wrong secret');
    await expectProblem(t, await api('/internal/object-events', { method: 'POST', json: {}, token: null }), 404, 'no secret');
    const document = await json(await api('/openapi.json', { token: null }));
    t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/internal')), 'not in the API document');
    for (const path of ['/tenants', '/tenants/{id}', '/tenants/{id}/events', '/tenants/{id}/retry', '/tenants/{id}/preview', '/videos', '/videos/{id}', '/thumbnails']) {
      t.ok(document.paths[path], `${path} is documented`);
    }
    const settingsOf = (schema: Json) => schema.content['application/json'].schema.properties;
    const accepted = settingsOf(document.paths['/tenants'].post.requestBody).thumbnail;
    const answered = settingsOf(document.paths['/tenants/{id}'].get.responses['200']).settings;
    // Alike but for defaults: a nested setting's defaulted fields are optional where sent and always answered.
    t.same(Object.keys(answered.properties).sort(), Object.keys(accepted.properties).sort(), 'tenant settings are documented alike where sent and where answered');
    t.same(answered.required, ['widths', 'format', 'at'], 'and always answered whole');
    t.equal((await api('/docs', { token: null })).status, 200, 'the API UI is served');
    const console = await api('/', { token: null });
    t.equal(console.status, 200, 'GET / serves the web console');
    t.match(console.headers.get('content-type'), /^text\/html/);
  });

  t.test('a known path called with a method it does not take answers 405 with Allow; an oversized request line 431', async (t) => {
    const put = await expectProblem(t, await api('/tenants', { method: 'PUT', json: {} }), 405, 'PUT /tenants');
    t.match(put.detail, /GET, HEAD, POST/);
    // fetch refuses to send TRACE: node:http does.
    const trace = await new Promise<{ status?: number; allow?: string }>((resolve, reject) => {
      const request = httpRequest(`${service.url}/healthz`, { method: 'TRACE' }, (response) => {
        response.resume();
        resolve({ status: response.statusCode, allow: response.headers.allow });
      });
      request.once('error', reject).end();
    });
    t.equal(trace.status, 405, 'TRACE /healthz: 405');
    t.equal(trace.allow, 'GET, HEAD', 'Allow names what /healthz takes');
    const patch = await api('/tenants/acme/retry', { method: 'GET' });
    t.equal(patch.status, 405, 'a path with a parameter is known too');
    t.equal(patch.headers.get('allow'), 'POST');
    await expectProblem(t, await api('/no-such-path', { method: 'PUT' }), 404, 'an unknown path stays 404');
    // Refused by the HTTP parser before routing, and still a problem document.
    await expectProblem(t, await api(`/thumbnails?cursor=${'x'.repeat(20_000)}`, { token: keyA }), 431, 'a request line over 16 KiB');
    t.equal((await service.api('/tenants', { method: 'DELETE', json: {} })).status, 405, 'and nothing is deleted');
    t.equal((await json(await api('/tenants'))).tenants.length > 0, true, 'every tenant is still there');
  });

  t.test('DELETE /tenants/:id destroys the stack; then the tenant is gone', async (t) => {
    await expectProblem(t, await api('/tenants/nobody', { method: 'DELETE' }), 404, 'unknown tenant');
    const deleted = await api('/tenants/globex', { method: 'DELETE' });
    t.equal(deleted.status, 202);
    t.match(await json(deleted), { id: 'globex', operation: { kind: 'destroy' } });
    const { messages } = await readEventStream(await api('/tenants/globex/events'));
    t.match(messages.at(-1), { event: 'done', data: { status: 'succeeded' } }, 'the destroy streams to done');
    await eventually(async () => (await api('/tenants/globex')).status === 404, 'globex gone');
    await expectProblem(t, await api('/thumbnails', { token: keyB }), 401, "the deleted tenant's key no longer works");
  });

  t.test('every answer this test got is in the API document, each error as problem+json', async (t) => {
    const seen = await expectDocumented(t, service, answers);
    t.ok(seen >= 30, `the test saw many distinct answers (${seen})`);
  });
});
