// Direct uploads through the whole service on the local target (engine, versitygw, the function
// runner and ffmpeg): parts PUT by the client straight to presigned URLs, completion into a video the
// thumbnailer makes thumbnails of, a resume after an interrupted part, and every refusal (not a
// video, over the limit, wrong parts, aborted, over the cap, another tenant's) leaving nothing in
// the bucket. One service and two tenants serve every subtest, since each `up` costs seconds.
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { STAGED_UPLOAD_PREFIX, stagedUploadKey, VIDEO_AT_METADATA, VIDEO_PREFIX } from '../../src/domain/video-layout.js';
import { expectDocumented, recordingApi } from '../helpers/api-document.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { tempDir } from '../helpers/local-store.js';
import { startTestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';
import { makeTextFile, makeVideo } from '../helpers/videos.js';

const MiB = 1024 * 1024;
const MAX_UPLOAD = 12 * MiB;
const MAX_OPEN_UPLOADS = 3;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** PUTs one part's bytes to its presigned URL, as a browser or curl would; resolves with the ETag. */
async function putPart(url: string, bytes: Buffer): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body: bytes });
  if (response.status !== 200) throw new Error(`PUT answered ${response.status}: ${await response.text()}`);
  return response.headers.get('etag')!;
}

/** Starts a part's PUT, sends `sent` of its bytes, then drops the connection: the client went away mid-part. */
function interruptedPut(url: string, bytes: Buffer, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { method: 'PUT', headers: { 'content-length': bytes.length } });
    request.once('error', () => resolve());
    request.write(bytes.subarray(0, sent), () => request.destroy());
    request.once('close', () => resolve());
  });
}

const slices = (bytes: Buffer, partSize: number) => Array.from({ length: Math.ceil(bytes.length / partSize) }, (_, n) => bytes.subarray(n * partSize, (n + 1) * partSize));

t.test('direct uploads on the local target', async (t) => {
  const service = await startTestService(t, { THUMBFORGE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD), THUMBFORGE_MAX_OPEN_UPLOADS: String(MAX_OPEN_UPLOADS) });
  const { api, answers } = recordingApi(service);
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const created = await Promise.all(['acme', 'globex'].map(async (id) => json(await api('/tenants', { method: 'POST', json: { id, thumbnail: { widths: [64] } } }))));
  const [keyA, keyB] = created.map((body) => body.apiKey as string) as [string, string];
  const bucket = await eventually(async () => {
    const [acme, globex] = await Promise.all(['acme', 'globex'].map(async (id) => json(await api(`/tenants/${id}`))));
    return acme!.status === 'ready' && globex!.status === 'ready' ? (acme!.outputs.bucket as string) : undefined;
  }, 'both tenants ready');

  const objectsUnder = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((object) => object.Key!);
  const openUploads = async () => ((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((upload) => upload.Key!);
  /** Nothing of this upload is in the bucket: no multipart upload, no staged object, no video. */
  const leftBehind = async (upload: Json) => [
    ...(await openUploads()).filter((key) => key === stagedUploadKey(upload.uploadId)),
    ...(await objectsUnder(stagedUploadKey(upload.uploadId))),
    ...(await objectsUnder(`${VIDEO_PREFIX}${upload.videoId}/`)),
  ];
  const start = async (t: Test, body: Json, token = keyA) => {
    const response = await api('/uploads', { method: 'POST', token, json: body });
    t.equal(response.status, 201, `POST /uploads ${JSON.stringify(body)}: 201`);
    return json(response);
  };
  const complete = (uploadId: string, parts: Array<{ partNumber: number; etag: string }>, token = keyA) =>
    api(`/uploads/${uploadId}/complete`, { method: 'POST', token, json: { parts } });

  const dir = await tempDir(t);
  // A real video, then padding after its index: players ignore trailing bytes, and it spans three parts.
  const clip = await readFile(await makeVideo(dir, { name: 'clip.mp4', seconds: 1 }));
  const video = Buffer.concat([clip, randomBytes(MAX_UPLOAD - clip.length)]);

  t.test('three parts PUT to their URLs become a video, and the thumbnailer makes its thumbnails', async (t) => {
    const upload = await start(t, { fileName: 'Holiday Clip.MOV', size: video.length, at: 0.5 });
    t.match(upload, { uploadId: ULID, videoId: ULID, partSize: 5 * MiB, expiresAt: String });
    t.ok(Date.parse(upload.expiresAt) > Date.now(), 'it expires later');
    t.same(upload.parts.map((part: Json) => part.partNumber), [1, 2, 3], 'a URL for each of the three parts');
    t.same(await openUploads(), [stagedUploadKey(upload.uploadId)], 'the multipart upload is staged outside videos/');

    const etags = await Promise.all(slices(video, upload.partSize).map((bytes, n) => putPart(upload.parts[n].url, bytes)));
    t.same(await objectsUnder(`${VIDEO_PREFIX}${upload.videoId}/`), [], 'no video before completion');
    const completed = await complete(upload.uploadId, etags.map((etag, n) => ({ partNumber: n + 1, etag })));
    t.equal(completed.status, 201);
    t.equal(completed.headers.get('location'), `/videos/${upload.videoId}`);
    const body = await json(completed);
    // The extension comes from the content (an MP4), the rest of the name from the client's.
    t.match(body, { id: upload.videoId, tenant: 'acme', key: `${VIDEO_PREFIX}${upload.videoId}/holiday-clip.mp4`, size: video.length, contentType: 'video/mp4', status: 'pending' });
    t.equal(body.thumbnails.length, 1);

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: body.key }));
    t.equal(head.ContentType, 'video/mp4', 'stored with the sniffed type');
    t.same(head.Metadata, { [VIDEO_AT_METADATA]: '0.5' }, "and the upload's own thumbnail time");
    const stored = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: body.key }))).Body!.transformToByteArray();
    t.equal(sha256(stored), sha256(video), 'byte-exact');
    t.same(await openUploads(), [], 'no multipart upload is left');
    t.same(await objectsUnder(STAGED_UPLOAD_PREFIX), [], 'nor the staged object');

    const state = await eventually(async () => {
      const record = await json(await api(`/videos/${upload.videoId}`, { token: keyA }));
      return record.status !== 'pending' ? record : undefined;
    }, 'the thumbnails');
    t.match(state, { status: 'ready', poster: { atSeconds: 0.5 } }, 'the thumbnailer read the video, at its own time');

    const after = await api(`/uploads/${upload.uploadId}`, { token: keyA });
    t.match(await json(after), { uploadId: upload.uploadId, videoId: upload.videoId, status: 'completed', received: [], parts: [] }, 'GET shows it completed');
    const again = await complete(upload.uploadId, etags.map((etag, n) => ({ partNumber: n + 1, etag })));
    t.equal(again.status, 201, 'completing it again answers the same video');
    t.match(await json(again), { id: upload.videoId, key: body.key, size: video.length });
    await expectProblem(t, await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyA }), 409, 'a completed upload is a video: not aborted');
    t.same(await objectsUnder(`${VIDEO_PREFIX}${upload.videoId}/`), [body.key], 'the video is still there, once');
  });

  t.test('an interrupted upload resumes from the parts that arrived; parts named wrong answer 400 and change nothing', async (t) => {
    const upload = await start(t, { fileName: 'resumed.mp4', size: video.length });
    const parts = slices(video, upload.partSize);
    await putPart(upload.parts[0].url, parts[0]!);
    await putPart(upload.parts[2].url, parts[2]!);
    // The client stops here and forgets all but the upload's id (a page reload): it asks what arrived.

    const resumed = await json(await api(`/uploads/${upload.uploadId}`, { token: keyA }));
    t.match(resumed, { uploadId: upload.uploadId, videoId: upload.videoId, status: 'open', size: video.length, partSize: upload.partSize, fileName: 'resumed.mp4', expiresAt: upload.expiresAt });
    t.same(resumed.received.map((part: Json) => [part.partNumber, part.size]), [[1, 5 * MiB], [3, 2 * MiB]], 'exactly the parts that arrived');
    t.same(resumed.parts.map((part: Json) => part.partNumber), [2], 'a fresh URL for the one missing');
    const [first, third] = resumed.received.map((part: Json) => part.etag as string);

    const gap = await expectProblem(t, await complete(upload.uploadId, [{ partNumber: 1, etag: first }, { partNumber: 3, etag: third }]), 400, 'a part left out');
    t.match(gap.detail, /1 to 3 in order/);
    const wrong = await expectProblem(t, await complete(upload.uploadId, [{ partNumber: 1, etag: first }, { partNumber: 2, etag: first }, { partNumber: 3, etag: third }]), 400, 'a part the store does not hold');
    t.match(wrong.detail, /store refused the parts \(InvalidPart\)/, "with the store's reason");
    t.same(await objectsUnder(`${VIDEO_PREFIX}${upload.videoId}/`), [], 'no video was made');
    t.same((await json(await api(`/uploads/${upload.uploadId}`, { token: keyA }))).received, resumed.received, 'the upload is as it was');

    const second = await putPart(resumed.parts[0].url, parts[1]!);
    const completed = await complete(upload.uploadId, [first, second, third].map((etag, n) => ({ partNumber: n + 1, etag })));
    t.equal(completed.status, 201, 'completed once the missing part is sent');
    const { key } = await json(completed);
    const stored = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray();
    t.equal(sha256(stored), sha256(video), 'byte-exact');
  });

  t.test(
    'a part whose PUT was cut off mid-body is not among the parts received',
    { todo: 'versitygw v1.8.0 stores a part cut short as if whole (versity/versitygw#2414); S3 refuses it with IncompleteBody' },
    async (t) => {
      const upload = await start(t, { fileName: 'cut.mp4', size: 6 * MiB });
      await interruptedPut(upload.parts[0].url, video.subarray(0, 5 * MiB), 2 * MiB);
      t.same((await json(await api(`/uploads/${upload.uploadId}`, { token: keyA }))).received, [], 'no part was received whole');
      t.equal((await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyA })).status, 204);
    },
  );

  t.test('content that is not a video is deleted on completion and answered 415', async (t) => {
    const text = await readFile(await makeTextFile(dir, 'notes.mp4'));
    const bytes = Buffer.concat(Array.from({ length: Math.ceil((6 * MiB) / text.length) }, () => text)).subarray(0, 6 * MiB);
    const upload = await start(t, { fileName: 'notes.mp4', size: bytes.length });
    const etags = await Promise.all(slices(bytes, upload.partSize).map((part, n) => putPart(upload.parts[n].url, part)));
    const refused = await expectProblem(t, await complete(upload.uploadId, etags.map((etag, n) => ({ partNumber: n + 1, etag }))), 415, 'a text file named .mp4');
    t.match(refused.detail, /not a video/);
    t.same(await leftBehind(upload), [], 'nothing of it is left in the bucket');
    await expectProblem(t, await api(`/uploads/${upload.uploadId}`, { token: keyA }), 404, 'the upload is gone');
    await expectProblem(t, await complete(upload.uploadId, etags.map((etag, n) => ({ partNumber: n + 1, etag }))), 404, 'and cannot be completed again');
  });

  t.test('413: a declared size over the limit creates nothing; more bytes than declared, over the limit, are deleted', async (t) => {
    const before = await openUploads();
    await expectProblem(t, await api('/uploads', { method: 'POST', token: keyA, json: { fileName: 'huge.mp4', size: MAX_UPLOAD + 1 } }), 413, 'declared over the limit');
    t.same(await openUploads(), before, 'nothing was started in the store');

    const upload = await start(t, { fileName: 'grows.mp4', size: 10 * MiB });
    t.equal(upload.parts.length, 2);
    // The second part is sent larger than declared: 5 + 8 MiB, over the 12 MiB limit.
    const etags = [await putPart(upload.parts[0].url, video.subarray(0, 5 * MiB)), await putPart(upload.parts[1].url, randomBytes(8 * MiB))];
    await expectProblem(t, await complete(upload.uploadId, etags.map((etag, n) => ({ partNumber: n + 1, etag }))), 413, 'completed over the limit');
    t.same(await leftBehind(upload), [], 'nothing of it is left in the bucket');
    await expectProblem(t, await api(`/uploads/${upload.uploadId}`, { token: keyA }), 404, 'the upload is gone');
  });

  t.test('DELETE /uploads/:id aborts the multipart upload; then it is gone', async (t) => {
    const upload = await start(t, { fileName: 'dropped.mp4', size: video.length });
    await putPart(upload.parts[0].url, video.subarray(0, 5 * MiB));
    t.same(await openUploads(), [stagedUploadKey(upload.uploadId)]);
    const deleted = await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyA });
    t.equal(deleted.status, 204);
    t.same(await leftBehind(upload), [], 'the multipart upload and its part are gone');
    await expectProblem(t, await api(`/uploads/${upload.uploadId}`, { token: keyA }), 404, 'GET after DELETE');
    await expectProblem(t, await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyA }), 404, 'DELETE again');
    const late = await fetch(upload.parts[1].url, { method: 'PUT', body: video.subarray(0, 1024) });
    t.equal(late.status, 404, 'a part sent afterwards finds no upload');
    t.same(await openUploads(), [], 'and starts none');
  });

  t.test(`a tenant holds at most ${MAX_OPEN_UPLOADS} open uploads: 429 with Retry-After beyond, nothing started`, async (t) => {
    t.same(await openUploads(), [], 'no upload is open');
    const held: Json[] = [];
    for (let n = 0; n < MAX_OPEN_UPLOADS; n++) held.push(await start(t, { fileName: `held-${n}.mp4`, size: MiB }));
    const refused = await api('/uploads', { method: 'POST', token: keyA, json: { fileName: 'one-more.mp4', size: MiB } });
    await expectProblem(t, refused, 429, 'one more');
    const retryAfter = Number(refused.headers.get('retry-after'));
    t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter} s`);
    t.equal((await openUploads()).length, MAX_OPEN_UPLOADS, 'the refused one started nothing in the store');
    await start(t, { fileName: 'other-tenant.mp4', size: MiB }, keyB).then((other) => api(`/uploads/${other.uploadId}`, { method: 'DELETE', token: keyB }));
    t.equal((await api(`/uploads/${held[0]!.uploadId}`, { method: 'DELETE', token: keyA })).status, 204);
    const next = await start(t, { fileName: 'next.mp4', size: MiB });
    for (const upload of [...held.slice(1), next]) t.equal((await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyA })).status, 204);
  });

  t.test("another tenant's upload answers 404, and stays as it was", async (t) => {
    const upload = await start(t, { fileName: 'private.mp4', size: MiB });
    await expectProblem(t, await api(`/uploads/${upload.uploadId}`, { token: keyB }), 404, 'GET');
    await expectProblem(t, await complete(upload.uploadId, [{ partNumber: 1, etag: '"0"' }], keyB), 404, 'complete');
    await expectProblem(t, await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyB }), 404, 'DELETE');
    await expectProblem(t, await api(`/uploads/${upload.uploadId}?tenant=acme`, { token: keyB }), 404, "naming the other tenant's id");
    t.equal((await json(await api(`/uploads/${upload.uploadId}?tenant=acme`))).status, 'open', 'the admin acts for acme with ?tenant=');
    t.same(await openUploads(), [stagedUploadKey(upload.uploadId)]);
    t.equal((await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyA })).status, 204);
  });

  t.test('bad input answers 400 and creates nothing', async (t) => {
    for (const body of [{ size: MiB }, { fileName: '', size: MiB }, { fileName: 'a\u0000b.mp4', size: MiB }, { fileName: 'a.mp4', size: 0 }, { fileName: 'a.mp4', size: 1.5 }, { fileName: 'a.mp4', size: MiB, at: '150%' }, { fileName: 'a.mp4', size: MiB, extra: 1 }]) {
      await expectProblem(t, await api('/uploads', { method: 'POST', token: keyA, json: body }), 400, `POST /uploads ${JSON.stringify(body)}`);
    }
    await expectProblem(t, await api('/uploads', { method: 'POST', json: { fileName: 'a.mp4', size: MiB } }), 400, 'the admin without ?tenant=');
    await expectProblem(t, await api('/uploads?tenant=nobody', { method: 'POST', json: { fileName: 'a.mp4', size: MiB } }), 404, 'the admin for an unknown tenant');
    t.same(await openUploads(), [], 'nothing was started');
    const upload = await start(t, { fileName: 'kept.mp4', size: MiB });
    for (const parts of [[], [{ partNumber: 0, etag: '"a"' }], [{ partNumber: 1 }], [{ partNumber: 1, etag: 'x y' }]]) {
      await expectProblem(t, await api(`/uploads/${upload.uploadId}/complete`, { method: 'POST', token: keyA, json: { parts } }), 400, `complete ${JSON.stringify(parts)}`);
    }
    await expectProblem(t, await api('/uploads/not-an-id', { token: keyA }), 400, 'an id that is not one');
    await expectProblem(t, await api(`/uploads/${'0'.repeat(26)}`, { token: keyA }), 404, 'an unknown id');
    t.equal((await json(await api(`/uploads/${upload.uploadId}`, { token: keyA }))).status, 'open', 'the upload is untouched');
    t.equal((await api(`/uploads/${upload.uploadId}`, { method: 'DELETE', token: keyA })).status, 204);
  });

  t.test('every answer this test got is in the API document, each error as problem+json', async (t) => {
    const seen = await expectDocumented(t, service, answers);
    t.ok(seen >= 15, `the test saw many distinct answers (${seen})`);
  });
});
