// An upload larger than one part goes to the bucket as a multipart upload whose parts are sent
// with an unsigned payload: the stored object must still be byte-exact, in S3's `-N` ETag form,
// and a video the thumbnailer can read.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { eventually } from '../helpers/stacks.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { makeVideo } from '../helpers/videos.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

t.test('a 12 MiB upload is stored byte-exact as a three-part multipart upload', async (t) => {
  const service = await startTestService(t);
  const created = await service.api('/tenants', { method: 'POST', json: { id: 'bigfiles', thumbnail: { widths: [64] } } });
  t.equal(created.status, 202);
  const { apiKey } = (await created.json()) as { apiKey: string };
  const tenant = await eventually(async () => {
    const record = (await (await service.api('/tenants/bigfiles')).json()) as { status: string; outputs?: { bucket: string } };
    return record.status === 'ready' ? record : undefined;
  }, 'the tenant');

  // A real video, then padding after its index: players ignore trailing bytes, S3 must keep them.
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'long.mp4', seconds: 1 }));
  const body = Buffer.concat([video, randomBytes(12 * 1024 * 1024 - video.length)]);
  const form = new FormData();
  form.append('file', new Blob([body], { type: 'video/mp4' }), 'long.mp4');
  const uploaded = await service.api('/videos', { method: 'POST', token: apiKey, body: form });
  t.equal(uploaded.status, 201);
  const { id, key, size } = (await uploaded.json()) as { id: string; key: string; size: number };
  t.equal(size, body.length, 'the answer counts every byte');

  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const Bucket = tenant.outputs!.bucket;
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
  t.match(head.ETag, /^"[0-9a-f]{32}-3"$/, 'three 5 MiB parts');
  const stored = await (await s3.send(new GetObjectCommand({ Bucket, Key: key }))).Body!.transformToByteArray();
  t.equal(sha256(stored), sha256(body), 'byte-exact');

  const state = await eventually(async () => {
    const record = (await (await service.api(`/videos/${id}`, { token: apiKey })).json()) as { status: string };
    return record.status !== 'pending' ? record : undefined;
  }, 'the thumbnail');
  t.equal(state.status, 'ready', 'the thumbnailer reads the padded video');
});
