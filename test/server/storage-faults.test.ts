// The object store failing under a real service on the local target: frozen (SIGSTOP), uploads
// answer 503 problems within THUMBFORGE_STORAGE_TIMEOUT_SECONDS while reads keep answering from the
// catalog, and the service stays up;
// killed (SIGKILL) mid-upload, the service starts it again. Either way, once the store answers, no
// object and no open multipart upload is left of a refused upload, and everything works again.
// Hangs are made by freezing the store, never by racing a clock; waits are on conditions.
import t, { type Test } from 'tap';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { VIDEO_PREFIX } from '../../src/domain/video-layout.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem } from '../helpers/http.js';
import { mp4Lookalike } from '../helpers/videos.js';

const MiB = 1024 * 1024;
/** Parts are 5 MiB under this limit: an upload of more than that is a multipart upload. */
const MAX_UPLOAD = 64 * MiB;
const STORAGE_TIMEOUT_SECONDS = 2;

type Json = Record<string, any>;

function form(content: Buffer, fileName: string): FormData {
  const data = new FormData();
  data.append('file', new Blob([content]), fileName);
  return data;
}

/** A POST /videos whose body the test writes piece by piece; `answer` resolves with the status and the parsed body. */
function streamedUpload(service: TestService, apiKey: string) {
  const boundary = 'thumbforge-fault-boundary';
  const request = httpRequest(new URL('/videos', service.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const answer = new Promise<{ status: number; contentType: string; body: Json }>((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (response: IncomingMessage) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () => resolve({ status: response.statusCode!, contentType: String(response.headers['content-type']), body: JSON.parse(text) as Json }));
    });
  });
  request.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="streamed.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  return {
    answer,
    write: (bytes: Buffer) => request.write(bytes),
    end: () => request.end(`\r\n--${boundary}--\r\n`),
  };
}

t.test('the object store frozen, then killed mid-upload', async (t) => {
  const service = await startTestService(t, { THUMBFORGE_STORAGE_TIMEOUT_SECONDS: String(STORAGE_TIMEOUT_SECONDS), THUMBFORGE_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());

  const created = await service.api('/tenants', { method: 'POST', json: { id: 'acme', thumbnail: { widths: [96] } } });
  t.equal(created.status, 202, 'POST /tenants: 202');
  const { apiKey } = (await created.json()) as Json;
  const tenant = await eventually(async () => {
    const found = (await (await service.api('/tenants/acme')).json()) as Json;
    return found.status === 'ready' ? found : undefined;
  }, 'acme ready');
  const bucket = tenant.outputs.bucket as string;
  const videoKeys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: VIDEO_PREFIX }))).Contents ?? []).map((object) => object.Key!).sort();
  const openUploads = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  const tenantApi = (path: string, init: Parameters<TestService['api']>[1] = {}) => service.api(path, { ...init, token: apiKey });

  const stored = await tenantApi('/videos', { method: 'POST', body: form(mp4Lookalike(4096), 'before.mp4') });
  t.equal(stored.status, 201, 'a video uploaded while the store is well: 201');
  const { id: videoId } = (await stored.json()) as Json;

  /** Once the store answers again: only the videos accepted so far, and no multipart upload left open. */
  const nothingLeftOver = async (t: Test, accepted: string[], what: string) => {
    await eventually(async () => {
      const [keys, uploads] = await Promise.all([videoKeys(), openUploads()]);
      return (keys.length === accepted.length && uploads.length === 0) || undefined;
    }, `${what}: only the accepted videos, and no open multipart upload`);
    t.same(await videoKeys(), [...accepted].sort(), `${what}: no object of a refused upload`);
    t.same(await openUploads(), [], `${what}: no open multipart upload`);
  };

  const storePid = service.objectStorePid();
  let frozen: number | undefined;
  const thaw = () => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    frozen = undefined;
  };
  t.teardown(thaw);

  await t.test('frozen (SIGSTOP): uploads answer 503 problems, reads answer from the catalog, the service stays up, and all works once it thaws', async (t) => {
    const accepted = await videoKeys();
    process.kill(storePid, 'SIGSTOP');
    frozen = storePid;

    const video = await tenantApi(`/videos/${videoId}`);
    t.equal(video.status, 200, 'GET /videos/:id: 200 from the catalog, the store never asked');
    t.match(await video.json(), { id: videoId, thumbnails: [{ url: /X-Amz-Signature=/ }] });
    t.equal((await tenantApi('/thumbnails')).status, 200, 'GET /thumbnails: 200');
    const list = await tenantApi('/videos');
    t.equal(list.status, 200, 'GET /videos: 200');
    t.same(((await list.json()) as Json).items.map((item: Json) => item.id), [videoId]);
    const small = await expectProblem(t, await tenantApi('/videos', { method: 'POST', body: form(mp4Lookalike(4096), 'small.mp4') }), 503, 'POST /videos (one request)');
    t.match(small.detail, /object store/);
    await expectProblem(t, await tenantApi('/videos', { method: 'POST', body: form(mp4Lookalike(6 * MiB), 'parts.mp4') }), 503, 'POST /videos (a multipart upload)');
    t.equal((await service.api('/healthz', { token: null })).status, 200, '/healthz: 200 while the store is frozen');

    thaw();
    // A request the frozen store had already received is carried out when it thaws; the service removes what it left.
    await nothingLeftOver(t, accepted, 'after the freeze');
    const after = await tenantApi('/videos', { method: 'POST', body: form(mp4Lookalike(4096), 'after-freeze.mp4') });
    t.equal(after.status, 201, 'POST /videos: 201 once thawed');
    t.same(await videoKeys(), [...accepted, ((await after.json()) as Json).key].sort(), 'the new video is stored');
  });

  await t.test('killed (SIGKILL) mid-upload: the upload answers 503, the store is started again, and nothing is left of the upload', async (t) => {
    const accepted = await videoKeys();
    const upload = streamedUpload(service, apiKey);
    upload.write(mp4Lookalike(6 * MiB));
    await eventually(async () => (await openUploads()).length === 1 || undefined, 'the multipart upload to start');
    // Frozen, then the rest of the body: the service's next parts meet a store that holds them,
    // silent, so the answer cannot depend on how fast the store comes back.
    const pid = service.objectStorePid();
    process.kill(pid, 'SIGSTOP');
    frozen = pid;
    upload.write(mp4Lookalike(6 * MiB));
    upload.end();
    const answer = await upload.answer;
    t.equal(answer.status, 503, 'the upload answers 503');
    t.match(answer.contentType, /^application\/problem\+json/);
    t.match(answer.body, { status: 503, title: 'Storage unavailable', detail: /object store/ });
    // Killed with the multipart upload open and a part half received.
    process.kill(pid, 'SIGKILL');
    frozen = undefined;
    t.equal((await service.api('/healthz', { token: null })).status, 200, '/healthz: 200 with the store dead');

    const restarted = await eventually(() => {
      try {
        const now = service.objectStorePid();
        return now !== pid ? now : undefined;
      } catch {
        return undefined; // not started yet
      }
    }, 'the service to start the object store again');
    t.not(restarted, pid, 'the service started a new object store');
    await eventually(async () => (await videoKeys().catch(() => undefined)) !== undefined || undefined, 'the store to answer again');
    await nothingLeftOver(t, accepted, 'after the kill');
    const after = await tenantApi('/videos', { method: 'POST', body: form(mp4Lookalike(6 * MiB), 'after-kill.mp4') });
    t.equal(after.status, 201, 'POST /videos (a multipart upload): 201 on the restarted store');
    t.equal((await service.api('/healthz', { token: null })).status, 200, '/healthz: 200');
  });
});
