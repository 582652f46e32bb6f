// Limits on what a caller holds and sends, against the real local target: a tenant's streamed
// uploads and event streams are capped (429 with Retry-After, and a slot comes back when one ends),
// an upload over the limit is refused from its Content-Length, a refused body is never read on
// (the answer closes the connection), and a client that hangs up on a refused upload leaves the
// service up. Held requests come from a raw client that sends part of a body and waits; the test
// learns what the server is doing from fastify's handler tracing, never from a delay.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { handlerTrace } from '../helpers/handler-trace.js';
import { heldUpload, type HeldUploadOptions, type RawAnswer } from '../helpers/held-request.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json } from '../helpers/http.js';
import { makeTextFile, makeVideo } from '../helpers/videos.js';
import { readEventStream } from './sse-client.js';

const MiB = 1024 * 1024;
const MAX_UPLOAD = 8 * MiB;

function form(content: Buffer, fileName = 'clip.mp4'): FormData {
  const data = new FormData();
  data.append('file', new Blob([content]), fileName);
  return data;
}

/** A raw answer that is a problem+json with this status. */
function expectRawProblem(t: Test, answer: RawAnswer, status: number, what: string): Record<string, unknown> {
  t.equal(answer.status, status, `${what}: ${status}`);
  t.match(answer.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  t.match(body, { type: String, title: String, status, detail: String }, `${what}: problem fields`);
  return body;
}

t.test('request limits on the local target', async (t) => {
  // Before any request: fastify traces handlers only while someone listens.
  const trace = handlerTrace(t);
  const service = await startTestService(t, {
    THUMBFORGE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD),
    THUMBFORGE_MAX_CONCURRENT_UPLOADS: '2',
    THUMBFORGE_MAX_EVENT_STREAMS: '2',
  });
  const created = await json(await service.api('/tenants', { method: 'POST', json: { id: 'caps', thumbnail: { widths: [64] } } }));
  const key = created.apiKey as string;
  const tenant = await eventually(async () => {
    const record = await json(await service.api('/tenants/caps'));
    return record.status === 'ready' ? record : undefined;
  }, 'the tenant');
  const Bucket = tenant.outputs.bucket as string;
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const stored = async () => ((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'videos/' }))).Contents ?? []).map((object) => object.Key!).sort();
  const openUploads = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? [];
  const dir = await tempDir(t);
  const video = await readFile(await makeVideo(dir, { name: 'clip.mp4', seconds: 0.5, width: 64, height: 36 }));
  // How many POST /videos (without a query) this test has sent: fastify's trace counts the handlers started and ended.
  let sent = 0;
  const upload = () => (sent++, service.api('/videos', { method: 'POST', token: key, body: form(video) }));
  /** A held upload, hung up when `t` ends whatever happened (a failed check must not leave a slot taken). */
  const hold = (t: Test, options: Partial<HeldUploadOptions> = {}) => {
    sent++;
    const held = heldUpload(service.url, { path: '/videos', token: key, head: video.subarray(0, 1000), ...options });
    t.teardown(held.hangUp);
    return held;
  };
  const adminUpload = () => service.api('/videos?tenant=caps', { method: 'POST', body: form(video) });

  t.test('a tenant streams at most 2 uploads at once: a third is refused 429 before its body is read; ending one frees a slot', async (t) => {
    const before = await stored();
    const first = hold(t);
    const second = hold(t);
    await trace.started('POST /videos', sent);

    const third = hold(t);
    const refused = await third.answer;
    t.match(expectRawProblem(t, refused, 429, 'a third upload').detail, /2 streamed uploads/);
    t.equal(refused.headers['retry-after'], '10', 'with Retry-After');
    t.equal(refused.headers.connection, 'close', 'and the connection closes instead of reading the body');
    await third.serverClosed;
    await expectProblem(t, await adminUpload(), 429, 'the admin uploading for the tenant (the cap is per tenant)');

    first.finish(video.subarray(1000));
    t.equal((await first.answer).status, 201, 'the first upload, finished, is stored');
    t.equal((await upload()).status, 201, 'its slot is free again at once');

    second.hangUp();
    await trace.ended('POST /videos', sent);
    // Both slots are free again: two uploads held at once, both stored.
    const [a, b] = [hold(t), hold(t)];
    await trace.started('POST /videos', sent);
    a.finish(video.subarray(1000));
    b.finish(video.subarray(1000));
    t.same([(await a.answer).status, (await b.answer).status], [201, 201], 'the hung-up upload gave its slot back');

    t.equal((await stored()).length, before.length + 4, 'only the accepted uploads are in the bucket');
    t.same(await openUploads(), [], 'no multipart upload left open');
  });

  t.test('an upload whose Content-Length is over the limit is refused 413 at once, and its body is never read', async (t) => {
    const before = await stored();
    const big = hold(t, { contentLength: MAX_UPLOAD + 2 * MiB });
    const answer = await big.answer;
    t.match(expectRawProblem(t, answer, 413, 'over the limit').detail, String(MAX_UPLOAD));
    t.equal(answer.headers.connection, 'close');
    await big.serverClosed;
    t.pass('the server closed the connection with 1000 of its 10 MiB sent');
    t.same(await stored(), before, 'nothing stored');
    t.same(await openUploads(), [], 'no multipart upload');
  });

  t.test('a refused body gets Connection: close instead of being read to its end', async (t) => {
    const before = await stored();
    const text = await readFile(await makeTextFile(dir, 'notes.mp4'));
    // 8 KiB of text declared as 6 MiB: the sniffed head is enough to refuse it.
    const head = Buffer.concat(Array.from({ length: Math.ceil(8192 / text.length) }, () => text)).subarray(0, 8192);
    const refused = hold(t, { head, contentLength: 6 * MiB });
    const answer = await refused.answer;
    expectRawProblem(t, answer, 415, 'text');
    t.equal(answer.headers.connection, 'close');
    await refused.serverClosed;
    t.pass('the server closed the connection with 8 KiB of 6 MiB sent');
    t.same(await stored(), before, 'nothing stored');
    t.same(await openUploads(), [], 'no multipart upload');

    const keepAlive = await upload();
    t.equal(keepAlive.status, 201);
    t.not(keepAlive.headers.get('connection'), 'close', 'an upload read to its end keeps its connection');
  });

  t.test('a misnamed field plus a hang-up leaves the service up', async (t) => {
    const answered = hold(t, { field: 'video' });
    const answer = await answered.answer;
    t.match(expectRawProblem(t, answer, 400, 'no "file" field').detail, /"file"/);
    t.equal(answer.headers.connection, 'close');
    answered.hangUp();
    // And hung up while the server is still handling it.
    const early = hold(t, { field: 'video' });
    await trace.started('POST /videos', sent);
    early.hangUp();
    await trace.ended('POST /videos', sent);
    t.equal((await service.api('/healthz', { token: null })).status, 200, 'the service still answers');
    t.equal((await upload()).status, 201, 'and stores the next upload');
  });

  t.test('while a tenant provisions (its store frozen)', async (t) => {
    // The store is frozen: the new tenant's `up` waits on its bucket, so the tenant stays
    // provisioning and its events stream stays live for as long as the test needs.
    const { freeze, thaw } = processFreezer(t, service.objectStorePid());
    freeze();
    const waiting = await json(await service.api('/tenants', { method: 'POST', json: { id: 'waiting' } }));
    const waitingKey = waiting.apiKey as string;
    const holdWaiting = (t: Test) => hold(t, { token: waitingKey });

    t.test('a not-ready tenant plus a hang-up leaves the service up', async (t) => {
      const answered = holdWaiting(t);
      const answer = await answered.answer;
      expectRawProblem(t, answer, 409, 'a provisioning tenant');
      t.equal(answer.headers.connection, 'close');
      answered.hangUp();
      const early = holdWaiting(t);
      await trace.started('POST /videos', sent);
      early.hangUp();
      await trace.ended('POST /videos', sent);
      t.equal((await service.api('/healthz', { token: null })).status, 200, 'the service still answers');
    });

    t.test('a tenant holds at most 2 event streams open: a third is refused 429; closing one frees a slot', async (t) => {
      const path = '/tenants/waiting/events';
      const open = () => {
        const leave = new AbortController();
        t.teardown(() => leave.abort());
        return { leave, response: service.api(path, { token: waitingKey, signal: leave.signal }) };
      };
      const first = open();
      const second = open();
      t.equal((await first.response).status, 200);
      t.equal((await second.response).status, 200);
      const refused = await service.api(path, { token: waitingKey });
      t.match((await expectProblem(t, refused, 429, 'a third stream')).detail, /2 event streams/);
      t.equal(refused.headers.get('retry-after'), '5', 'with Retry-After');
      await expectProblem(t, await service.api(path), 429, 'the admin watching the same tenant (the cap is per tenant)');
      const other = await service.api('/tenants/caps/events', { token: key });
      t.equal(other.status, 200, "another tenant's stream is not affected");
      t.match((await readEventStream(other)).messages.at(-1), { event: 'done' });

      first.leave.abort();
      // The first stream, the refused one and the admin's have ended.
      await trace.ended(`GET ${path}`, 3);
      const again = open();
      t.equal((await again.response).status, 200, 'a stream closed gives its slot back');
      second.leave.abort();
      again.leave.abort();
      await trace.ended(`GET ${path}`, 5);
    });

    t.test('once the store answers again, the service is up and stores an upload', async (t) => {
      thaw();
      const { messages } = await readEventStream(await service.api('/tenants/waiting/events'));
      t.match(messages.at(-1), { event: 'done', data: { status: 'succeeded' } }, 'the waiting tenant is provisioned');
      t.equal((await service.api('/healthz', { token: null })).status, 200);
      t.equal((await upload()).status, 201);
    });
  });
});
