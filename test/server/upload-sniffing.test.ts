// POST /videos decides the type by content (file-type), against the real local target: a HEIC or
// AVIF image, M4A audio and a PNG are refused 415 and leave nothing in the bucket, not even a part
// of a multipart upload; real MP4, WebM and MOV files are stored under their own suffix and type,
// with links whose expiresAt is what the link itself says.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json } from '../helpers/http.js';
import { heicHeader, makeNonVideo, makeVideo } from '../helpers/videos.js';

const MiB = 1024 * 1024;
const TTL = 600;

function form(content: Buffer, fileName: string): FormData {
  const data = new FormData();
  data.append('file', new Blob([content]), fileName);
  return data;
}

t.test('uploads are sniffed by content', async (t) => {
  const service = await startTestService(t, { THUMBFORGE_URL_TTL_SECONDS: String(TTL) });
  const created = await json(await service.api('/tenants', { method: 'POST', json: { id: 'sniff', thumbnail: { widths: [64] } } }));
  const apiKey = created.apiKey as string;
  const tenant = await eventually(async () => {
    const record = await json(await service.api('/tenants/sniff'));
    return record.status === 'ready' ? record : undefined;
  }, 'the tenant');
  const Bucket = tenant.outputs.bucket as string;
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const stored = async () => ((await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'videos/' }))).Contents ?? []).map((object) => object.Key!);
  const openUploads = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? [];
  const dir = await tempDir(t);

  t.test('an image or audio file is refused with 415 and leaves nothing in the bucket', async (t) => {
    // Each is followed by more than a part's worth of bytes: had it been taken for a video, a multipart upload would have begun.
    const padding = randomBytes(6 * MiB);
    const cases: Array<[string, Buffer, string, RegExp]> = [
      ['HEIC', heicHeader(), 'photo.mp4', /image\/heic/],
      ['AVIF (ffmpeg)', await readFile(await makeNonVideo(dir, 'avif')), 'still.mp4', /image\/avif/],
      ['M4A audio (ffmpeg)', await readFile(await makeNonVideo(dir, 'm4a')), 'song.mp4', /audio\/x-m4a/],
      ['PNG (ffmpeg)', await readFile(await makeNonVideo(dir, 'png')), 'picture.mov', /image\/png/],
    ];
    for (const [what, file, name, detail] of cases) {
      const answer = await service.api('/videos', { method: 'POST', token: apiKey, body: form(Buffer.concat([file, padding]), name) });
      t.match((await expectProblem(t, answer, 415, what)).detail, detail, `${what}: the detail names what it is`);
    }
    t.same(await stored(), [], 'no object');
    t.same(await openUploads(), [], 'no multipart upload, so no part');
  });

  t.test('real MP4, WebM and MOV files are accepted, each under its own suffix and type', async (t) => {
    const before = Date.now();
    const cases = [
      { name: 'clip.mp4', contentType: 'video/mp4', suffix: '.mp4' },
      { name: 'clip.webm', codec: 'vp9' as const, contentType: 'video/webm', suffix: '.webm' },
      // Named .mp4 on purpose: the content decides.
      { name: 'clip.mov', upload: 'really-a-mov.mp4', contentType: 'video/quicktime', suffix: '.mov' },
    ];
    for (const { name, codec, upload, contentType, suffix } of cases) {
      const video = await readFile(await makeVideo(dir, { name, seconds: 0.5, width: 64, height: 36, codec }));
      const answer = await service.api('/videos', { method: 'POST', token: apiKey, body: form(video, upload ?? name) });
      t.equal(answer.status, 201, name);
      const body = await json(answer);
      t.equal(body.contentType, contentType, `${name}: ${contentType}`);
      t.ok((body.key as string).endsWith(suffix), `${name}: stored as ${suffix}`);
      t.ok((await stored()).includes(body.key), `${name}: in the bucket`);
      const [link] = body.thumbnails as Array<{ url: string; expiresAt: string }>;
      const query = new URL(link!.url).searchParams;
      const signedAt = Date.parse(query.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
      t.equal(Date.parse(link!.expiresAt), signedAt + Number(query.get('X-Amz-Expires')) * 1000, `${name}: expiresAt is the link's own expiry`);
      t.ok(Date.parse(link!.expiresAt) <= Date.now() + TTL * 1000, `${name}: within the TTL`);
      t.ok(Date.parse(link!.expiresAt) >= before + TTL * 750 - 1000, `${name}: at least three quarters of it`);
    }
    t.same(await openUploads(), [], 'no multipart upload left open');
  });
});
