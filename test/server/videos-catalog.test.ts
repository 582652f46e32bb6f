// GET /videos, GET /videos/:id and DELETE /videos/:id on the whole service (local target: the real
// engine, versitygw, the function runner with ffmpeg, the catalog on PGlite): a video is listed the
// moment its upload is stored, turns ready or failed with its metadata, pages newest first, and a
// delete removes it and every output, then 404. Each refused call is checked for what it left.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { newVideoId, outputPrefix, thumbnailKey, videoPrefix } from '../../src/domain/video-layout.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { makeTruncatedVideo, makeVideo } from '../helpers/videos.js';

function form(content: Buffer, fileName: string): FormData {
  const data = new FormData();
  data.append('file', new Blob([content]), fileName);
  return data;
}

t.test('the video catalog through the API', async (t) => {
  const service = await startTestService(t, { THUMBFORGE_STORAGE_TIMEOUT_SECONDS: '2' });
  const s3 = createS3Client(service.objectStore);
  t.teardown(() => s3.destroy());
  const dir = await tempDir(t);
  const created = await Promise.all(['acme', 'globex'].map(async (id) => json(await service.api('/tenants', { method: 'POST', json: { id, thumbnail: { widths: [96, 160] } } }))));
  const [keyA, keyB] = created.map((body) => body.apiKey as string) as [string, string];
  const [tenantA] = await Promise.all(
    ['acme', 'globex'].map((id) =>
      eventually(async () => {
        const tenant = await json(await service.api(`/tenants/${id}`));
        return tenant.status === 'ready' ? tenant : undefined;
      }, `${id} ready`),
    ),
  );
  const bucket = tenantA!.outputs.bucket as string;
  const keysUnder = async (prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((object) => object.Key!);
  const asA = (path: string, init: Parameters<typeof service.api>[1] = {}) => service.api(path, { ...init, token: keyA });
  const stateOf = async (id: string, status: string) =>
    eventually(async () => {
      const video = await json(await asA(`/videos/${id}`));
      return video.status === status ? video : undefined;
    }, `video ${status}`, 180_000);

  const clip = await readFile(await makeVideo(dir, { name: 'clip.mp4', seconds: 2, width: 320, height: 180 }));
  const uploaded = await json(await asA('/videos', { method: 'POST', body: form(clip, 'My Clip.mp4') }));
  const listedAtOnce = await json(await asA('/videos'));
  const broken = await json(await asA('/videos', { method: 'POST', body: form(await readFile(await makeTruncatedVideo(dir, 'broken.mp4')), 'broken.mp4') }));
  const second = await json(await asA('/videos', { method: 'POST', body: form(clip, 'second.mp4') }));

  t.test('GET /videos lists an upload as soon as it is stored, pending', async (t) => {
    t.match(listedAtOnce, { items: [{ id: uploaded.id, name: 'My Clip.mp4', status: 'pending', size: clip.length, contentType: 'video/mp4', createdAt: String }], nextCursor: null });
  });

  t.test('GET /videos/:id: ready with the metadata, or failed with the reason', async (t) => {
    const ready = await stateOf(uploaded.id, 'ready');
    t.match(ready, { id: uploaded.id, tenant: 'acme', key: uploaded.key, name: 'My Clip.mp4', size: clip.length, durationSeconds: 2, width: 320, height: 180, codec: 'h264', readyAt: String });
    t.same(ready.thumbnails.map((link: Json) => link.width), [96, 160]);
    t.match(ready.poster, { url: /X-Amz-Signature=/, atSeconds: Number });
    const failed = await stateOf(broken.id, 'failed');
    t.match(failed.error, /\S/, 'with a reason');
    t.notOk('poster' in failed, 'no outputs');
    await stateOf(second.id, 'ready');
  });

  t.test('GET /videos pages newest first, filters by status, and refuses a cursor it did not give out', async (t) => {
    const paged: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await json(await asA(`/videos?limit=1${cursor ? `&cursor=${cursor}` : ''}`));
      t.ok(page.items.length <= 1);
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    t.same(paged.map((item) => item.id), [second.id, broken.id, uploaded.id], 'newest first, one page at a time');
    t.match(paged[0], { status: 'ready', durationSeconds: 2, width: 320, height: 180, readyAt: String });
    t.same((await json(await asA('/videos?status=ready'))).items.map((item: Json) => item.id), [second.id, uploaded.id]);
    t.same((await json(await asA('/videos?status=failed'))).items.map((item: Json) => item.id), [broken.id]);
    t.same((await json(await asA('/videos?status=pending'))).items, []);
    t.same((await json(await service.api('/videos?tenant=acme&limit=100'))).items.length, 3, 'the admin with ?tenant=');
    await expectProblem(t, await asA('/videos?status=done'), 400, 'an unknown status');
    await expectProblem(t, await asA('/videos?limit=0'), 400, 'limit 0');
    await expectProblem(t, await asA('/videos?limit=101'), 400, 'limit over the bound');
    await expectProblem(t, await asA('/videos?cursor=not-a-cursor'), 400, 'a malformed cursor');
    await expectProblem(t, await asA(`/videos?cursor=${newVideoId()}`), 400, 'a cursor that is none of its videos');
    await expectProblem(t, await service.api('/videos'), 400, 'the admin without ?tenant=');
    t.same((await json(await service.api('/videos', { token: keyB }))).items, [], 'another tenant lists its own (none)');
  });

  t.test('DELETE /videos/:id refuses, leaving everything: another tenant, the admin without ?tenant=, an unknown id, a frozen store', async (t) => {
    const before = [...(await keysUnder(videoPrefix(second.id))), ...(await keysUnder(outputPrefix(second.id)))].sort();
    t.ok(before.length > 3, 'the video and its outputs are there');
    await expectProblem(t, await service.api(`/videos/${second.id}`, { method: 'DELETE', token: keyB }), 404, "another tenant's video");
    await expectProblem(t, await service.api(`/videos/${second.id}?tenant=acme`, { method: 'DELETE', token: keyB }), 404, 'naming the other tenant');
    await expectProblem(t, await service.api(`/videos/${second.id}`, { method: 'DELETE' }), 400, 'the admin without ?tenant=');
    await expectProblem(t, await asA(`/videos/${newVideoId()}`, { method: 'DELETE' }), 404, 'an unknown id');
    await expectProblem(t, await asA('/videos/not-an-id', { method: 'DELETE' }), 404, 'not an id');

    const { freeze, thaw } = processFreezer(t, service.objectStorePid());
    freeze();
    await expectProblem(t, await asA(`/videos/${second.id}`, { method: 'DELETE' }), 503, 'the store does not answer');
    t.equal((await asA(`/videos/${second.id}`)).status, 200, 'the video is still there');
    thaw();
    t.equal((await asA(`/videos/${second.id}`)).status, 200, 'and stays once the store answers');
    t.same([...(await keysUnder(videoPrefix(second.id))), ...(await keysUnder(outputPrefix(second.id)))].sort(), before, 'no object was removed');
  });

  t.test('DELETE /videos/:id: 204, then 404; nothing left in the bucket; a late output is removed as it arrives', async (t) => {
    const deleted = await asA(`/videos/${uploaded.id}`, { method: 'DELETE' });
    t.equal(deleted.status, 204);
    await expectProblem(t, await asA(`/videos/${uploaded.id}`), 404, 'GET after the delete');
    await expectProblem(t, await asA(`/videos/${uploaded.id}`, { method: 'DELETE' }), 404, 'DELETE again');
    t.same(await keysUnder(videoPrefix(uploaded.id)), [], 'no video object');
    t.same(await keysUnder(outputPrefix(uploaded.id)), [], 'no output');
    t.notOk((await json(await asA('/videos?limit=100'))).items.some((item: Json) => item.id === uploaded.id), 'not listed');
    t.notOk((await json(await asA('/thumbnails?limit=200'))).items.some((item: Json) => item.videoId === uploaded.id), 'none of its thumbnails listed');

    // As a thumbnailer still running would: an output written after the delete.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: thumbnailKey(uploaded.id, 96, 'jpeg'), Body: Buffer.alloc(10, 1) }));
    await eventually(async () => (await keysUnder(outputPrefix(uploaded.id))).length === 0 || undefined, 'the late output to be removed');
    t.pass('the late output was removed');
    await expectProblem(t, await asA(`/videos/${uploaded.id}`), 404, 'and the video did not come back');

    t.equal((await service.api(`/videos/${second.id}?tenant=acme`, { method: 'DELETE' })).status, 204, 'the admin deletes with ?tenant=');
    t.same(await keysUnder(videoPrefix(second.id)), []);
    t.same((await json(await asA('/videos'))).items.map((item: Json) => item.id), [broken.id], 'what is left');

    // Removed from the bucket past the API: the store's event takes it out of the catalog, and its outputs with it.
    const [brokenKey] = await keysUnder(videoPrefix(broken.id));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: brokenKey }));
    await eventually(async () => (await asA(`/videos/${broken.id}`)).status === 404 || undefined, 'the removal to reach the catalog');
    t.same((await json(await asA('/videos'))).items, [], 'a video removed from the bucket is no longer listed');
    await eventually(async () => (await keysUnder(outputPrefix(broken.id))).length === 0 || undefined, 'its error.json to go');
    t.pass('its outputs are removed');
  });

  t.test('the routes are in the API document', async (t) => {
    const document = await json(await service.api('/openapi.json', { token: null }));
    t.ok(document.paths['/videos'].get.responses['200'], 'GET /videos');
    t.same(Object.keys(document.paths['/videos/{id}'].delete.responses).sort(), ['204', '400', '401', '404', '409', '429', '431', '503']);
    t.ok(document.paths['/videos'].get.parameters.some((parameter: Json) => parameter.name === 'status'), 'with its status filter');
  });
});
