// An upload's own thumbnail time and what GET /videos/:id shows of the outputs. POST /videos takes a
// form field "at" (before the file), validated as the settings' `at`, and stores it as the object's
// metadata (VIDEO_AT_METADATA), which the thumbnailer reads; once the thumbnailer has run and its
// events reached the catalog, the video answers with its display size, codec, poster, storyboard and
// preview links. Real app, adapter, object store, catalog and thumbnail handler; the tenant record is
// a row of its own (the stacks are not under test here).
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config.js';
import { VIDEO_AT_METADATA } from '../../src/domain/video-layout.js';
import { createThumbnailHandler } from '../../src/lambda-image/handler.js';
import { s3EventRecord } from '../../src/local/s3-event-record.js';
import { buildApp } from '../../src/server/app.js';
import { startTestCatalog } from '../helpers/catalog.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { imageInfo, makeVideo } from '../helpers/videos.js';
import { createServiceMetrics } from '../../src/metrics.js';
import { appServices } from '../helpers/app-services.js';

t.test('videos with their own thumbnail time and their outputs', async (t) => {
  const fixture = await startTestCatalog(t, { bucket: 'upload-at', settings: { widths: [320, 640], storyboard: {}, preview: {} } });
  const { s3, bucket, apiKey, tenant } = fixture;
  const app = await buildApp({ config: loadConfig({}), adminToken: 'a'.repeat(32), services: fixture.services, metrics: createServiceMetrics(), logLevel: 'silent' });
  t.teardown(() => app.close());
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4' }));

  const upload = async (at?: string) => {
    const form = new FormData();
    if (at !== undefined) form.append('at', at);
    form.append('file', new Blob([video]), 'clip.mp4');
    const request = new Request('http://x/videos', { method: 'POST', body: form });
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': request.headers.get('content-type')! };
    return app.inject({ method: 'POST', url: '/videos', headers, payload: Buffer.from(await request.arrayBuffer()) });
  };
  const metadataOf = async (key: string) => (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata;

  t.test('POST /videos with a form field "at" stores it as the video’s metadata', async (t) => {
    for (const at of ['25%', '1.5', 'auto']) {
      const response = await upload(at);
      t.equal(response.statusCode, 201, `at=${at}`);
      t.same(await metadataOf((response.json() as { key: string }).key), { [VIDEO_AT_METADATA]: at });
    }
    const plain = await upload();
    t.equal(plain.statusCode, 201);
    t.same(await metadataOf((plain.json() as { key: string }).key), {}, 'none without one');

    const refused = await upload('later');
    t.equal(refused.statusCode, 400);
    t.match(refused.json(), { status: 400, detail: /"at"/ });
  });

  t.test('GET /videos/:id: the display size, the poster with its time, storyboard and preview links', async (t) => {
    const uploaded = (await upload('1.5')).json() as { id: string; key: string };
    const get = async () => (await app.inject({ url: `/videos/${uploaded.id}`, headers: { authorization: `Bearer ${apiKey}` } })).json();
    t.match(await get(), { status: 'pending', name: 'clip.mp4', size: video.length, contentType: 'video/mp4' }, 'listed at once, pending');
    t.notOk('poster' in (await get()), 'nothing before the thumbnailer ran');
    const handler = createThumbnailHandler({ s3, settings: tenant.settings });
    await handler({ Records: [s3EventRecord({ bucket, key: uploaded.key, size: video.length, eTag: 'x' }, 'ObjectCreated:Put', 'us-east-1')] });
    const state = await eventually(async () => {
      const now = await get();
      return now.status === 'ready' ? now : undefined;
    }, 'meta.json to reach the catalog');
    t.match(state, { status: 'ready', durationSeconds: 2, width: 320, height: 180, codec: 'h264', readyAt: String, poster: { atSeconds: 1.5, score: null } });
    t.same(state.thumbnails.map((link: { width: number }) => link.width), [320, 640], 'the widths its run made');
    const fetched = async (url: string) => {
      const response = await fetch(url);
      t.equal(response.status, 200, 'a working link');
      return Buffer.from(await response.arrayBuffer());
    };
    t.same(await imageInfo(await fetched(state.poster.url)), { codec: 'mjpeg', width: 320, height: 180 });
    t.match((await fetched(state.storyboard.vtt)).toString(), /^WEBVTT\n/);
    t.match(JSON.parse((await fetched(state.storyboard.json)).toString()), { durationSeconds: 2, sheets: [{ file: 'storyboard-0.jpg' }] });
    t.equal(state.storyboard.images.length, 1);
    t.same((await imageInfo(await fetched(state.storyboard.images[0]))).codec, 'mjpeg');
    t.equal((await fetched(state.preview.url)).toString('latin1', 8, 12), 'WEBP');
  });
});
