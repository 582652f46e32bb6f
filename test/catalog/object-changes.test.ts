// The catalog applying object changes, with real parts: versitygw, PGlite with the job engine and
// the catalog's workers. The store's own events go elsewhere here: the test queues each change
// itself, so it chooses their order (late, twice, out of order) and waits for them to be applied.
// What a change did is read back from the catalog, the bucket and a recording webhook sink; a sink
// that refuses shows a status change and its event commit together.
import t from 'tap';
import { VideoNotFound, VideoPending } from '../../src/domain/errors.js';
import { newRegenerationId } from '../../src/domain/thumbnail-regeneration.js';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { newVideoId, thumbnailErrorKey, thumbnailKey, thumbnailMetaKey, posterKey, videoKey, type ThumbnailMeta } from '../../src/domain/video-layout.js';
import type { ObjectChange } from '../../src/catalog/catalog-queue.js';
import { CATALOG_EVENTS_QUEUE } from '../../src/catalog/catalog-queue.js';
import type { WebhookEvent, WebhookEventSink } from '../../src/domain/webhook-events.js';
import { openTestCatalog, recordingSink, type CatalogOnDatabase } from '../helpers/catalog.js';
import { startTestStore, testS3Client } from '../helpers/local-store.js';

function metaOf(videoId: string, name: string, overrides: Partial<ThumbnailMeta> = {}): ThumbnailMeta {
  return {
    videoKey: videoKey(videoId, name),
    durationSeconds: 12.5,
    width: 1280,
    height: 720,
    codec: 'h264',
    rotation: 0,
    hdr: null,
    atSeconds: 1.25,
    score: 0.8,
    at: 'auto',
    atSource: 'settings',
    regeneration: null,
    format: 'jpeg',
    widths: [96, 160],
    storyboard: { sheets: 2, tiles: 40, intervalSeconds: 1 },
    preview: null,
    skipped: [],
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  return s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

t.test('object changes in any order, late and twice, and the webhook events they make', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const sink = recordingSink();
  const fixture: CatalogOnDatabase = await openTestCatalog(t, store.connection, { webhooks: sink });
  const { catalog, bucket } = fixture;
  const tenantId = fixture.tenant.id;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  const put = async (key: string, body: string | Buffer, contentType = 'application/octet-stream') => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    return Buffer.byteLength(body);
  };
  const apply = async (...changes: Array<Omit<ObjectChange, 'bucket' | 'at'> & { at?: string }>) => {
    await catalog.enqueue(changes.map((change) => ({ bucket, at: new Date().toISOString(), ...change })));
    await fixture.caughtUp();
  };
  const eventsOf = (videoId: string) => sink.events.filter((event) => event.data.id === videoId).map((event) => event.type);

  t.test('a video uploaded past the API: recorded from the object itself, then ready from meta.json, announced once', async (t) => {
    const id = newVideoId();
    const key = videoKey(id, 'outside.webm');
    const size = await put(key, Buffer.alloc(3000, 1), 'video/webm');
    await apply({ change: 'created', key, size });
    t.match(await catalog.video(tenantId, id), { id, name: 'outside.webm', key, status: 'pending', size: 3000, contentType: 'video/webm', createdAt: String });
    t.same(eventsOf(id), [], 'nothing announced while pending');

    await put(thumbnailMetaKey(id), JSON.stringify(metaOf(id, 'outside.webm')));
    await apply({ change: 'created', key: thumbnailMetaKey(id) });
    const ready = await catalog.video(tenantId, id);
    t.match(ready, { status: 'ready', readyAt: String, durationSeconds: 12.5, width: 1280, height: 720, codec: 'h264' });
    t.same(ready.outputs, { format: 'jpeg', widths: [96, 160], poster: { atSeconds: 1.25, score: 0.8 }, storyboardSheets: 2, preview: false }, 'what meta.json says of the outputs');

    await apply({ change: 'created', key: thumbnailMetaKey(id) }, { change: 'created', key, size });
    t.same(eventsOf(id), ['video.ready'], 'a second report of meta.json or the video announces nothing again');
    const [event] = sink.events.filter((e) => e.data.id === id);
    t.same(event, {
      type: 'video.ready',
      tenantId,
      data: { id, name: 'outside.webm', status: 'ready', size: 3000, contentType: 'video/webm', createdAt: ready.createdAt, readyAt: ready.readyAt, durationSeconds: 12.5, width: 1280, height: 720 },
    }, 'the data is the GET /videos item');
  });

  t.test('meta.json before the video and its thumbnails: the video is recorded from meta.json\'s key, ready at once, with its thumbnails', async (t) => {
    const id = newVideoId();
    const key = videoKey(id, 'early.mp4');
    await put(key, Buffer.alloc(2048, 2), 'video/mp4');
    await put(thumbnailKey(id, 96, 'jpeg'), Buffer.alloc(33, 1));
    await put(thumbnailMetaKey(id), JSON.stringify(metaOf(id, 'early.mp4', { durationSeconds: null, storyboard: null, preview: { startSeconds: 0, seconds: 3, width: 320, height: 180, fps: 10, bytes: 9 } })));
    await apply({ change: 'created', key: thumbnailMetaKey(id) });
    const video = await catalog.video(tenantId, id);
    t.match(video, { status: 'ready', key, size: 2048, contentType: 'video/mp4' });
    t.notOk('durationSeconds' in video, 'a video without a duration has none');
    t.same(video.outputs, { format: 'jpeg', widths: [96, 160], poster: { atSeconds: 1.25, score: 0.8 }, preview: true }, 'no storyboard, a preview');
    const listed = (await catalog.thumbnails(tenantId, { limit: 100 })).items.filter((item) => item.videoId === id);
    t.same(listed.map(({ key: k, size }) => ({ key: k, size })), [{ key: thumbnailKey(id, 96, 'jpeg'), size: 33 }], 'the thumbnail whose own event has not come is listed');
    await apply({ change: 'created', key, size: 2048 });
    t.equal((await catalog.video(tenantId, id)).status, 'ready', "the video's own late event changes nothing");
    t.same(eventsOf(id), ['video.ready']);
  });

  t.test('error.json: failed with its reason, announced once; a later success stands; the thumbnailer giving up fails only a pending video', async (t) => {
    const id = newVideoId();
    const key = videoKey(id, 'broken.mp4');
    await put(key, Buffer.alloc(100, 3), 'video/mp4');
    await apply({ change: 'created', key, size: 100 });
    await put(thumbnailErrorKey(id), JSON.stringify({ reason: 'moov atom not found', videoKey: key, at: new Date().toISOString() }));
    await apply({ change: 'created', key: thumbnailErrorKey(id) });
    t.match(await catalog.video(tenantId, id), { status: 'failed', error: 'moov atom not found' });
    await catalog.thumbnailerGaveUp(bucket, key, { reason: 'the thumbnailer gave up after 6 attempts', regeneration: null });
    await apply({ change: 'created', key: thumbnailErrorKey(id) });
    t.match(await catalog.video(tenantId, id), { status: 'failed', error: 'moov atom not found' }, 'a recorded failure keeps its reason');
    t.same(eventsOf(id), ['video.failed'], 'announced once');

    // A retry that succeeded after all (the reconcile sent it again): ready, and then error.json no longer counts.
    await put(thumbnailMetaKey(id), JSON.stringify(metaOf(id, 'broken.mp4')));
    await apply({ change: 'created', key: thumbnailMetaKey(id) });
    await apply({ change: 'created', key: thumbnailErrorKey(id) });
    const recovered = await catalog.video(tenantId, id);
    t.equal(recovered.status, 'ready');
    t.notOk('error' in recovered, 'no reason left on a ready video');
    t.same(eventsOf(id), ['video.failed', 'video.ready']);

    const other = newVideoId();
    const otherKey = videoKey(other, 'stuck.mp4');
    await put(otherKey, Buffer.alloc(100, 4), 'video/mp4');
    await apply({ change: 'created', key: otherKey, size: 100 });
    await catalog.thumbnailerGaveUp(bucket, otherKey, { reason: 'the thumbnailer gave up after 6 attempts: connect ECONNREFUSED', regeneration: null });
    t.match(await catalog.video(tenantId, other), { status: 'failed', error: 'the thumbnailer gave up after 6 attempts: connect ECONNREFUSED' }, 'a dead-lettered job shows its video failed');
    t.same(eventsOf(other), ['video.failed']);
  });

  t.test("a regeneration: pending again; only its own run's meta.json, error.json or dead letter ends it, announced again", async (t) => {
    const id = newVideoId();
    const key = videoKey(id, 'again.mp4');
    await put(key, Buffer.alloc(900, 7), 'video/mp4');
    await apply({ change: 'created', key, size: 900 });
    await put(thumbnailMetaKey(id), JSON.stringify(metaOf(id, 'again.mp4')));
    await apply({ change: 'created', key: thumbnailMetaKey(id) });
    const ready = await catalog.video(tenantId, id);
    t.equal(ready.status, 'ready');

    const first = newRegenerationId();
    const started: string[] = [];
    const pending = await catalog.regenerate(tenantId, id, first, async (video) => void started.push(video.key));
    t.same(started, [key], 'its run is started with the video');
    t.match(pending, { id, status: 'pending', readyAt: ready.readyAt, outputs: ready.outputs }, 'pending, the last run\'s outputs kept until the new ones arrive');
    t.equal((await catalog.video(tenantId, id)).status, 'pending', 'as the catalog shows it');
    t.ok((await catalog.videos(tenantId, { status: 'pending', limit: 100 })).items.some((item) => item.id === id), 'listed among the pending');

    // The earlier run's outcomes, late or read again by a reconcile, do not end it.
    await apply({ change: 'created', key: thumbnailMetaKey(id) });
    await put(thumbnailErrorKey(id), JSON.stringify({ reason: 'an old failure', videoKey: key, at: new Date().toISOString() }));
    await apply({ change: 'created', key: thumbnailErrorKey(id) });
    await catalog.thumbnailerGaveUp(bucket, key, { reason: 'the upload run gave up', regeneration: null });
    t.match(await catalog.video(tenantId, id), { status: 'pending' }, "the upload run's meta.json, error.json and dead letter change nothing");
    await catalog.thumbnailerGaveUp(bucket, key, { reason: 'another regeneration gave up', regeneration: newRegenerationId() });
    t.match(await catalog.video(tenantId, id), { status: 'pending' }, "nor another regeneration's");

    await t.rejects(catalog.regenerate(tenantId, id, newRegenerationId(), async () => void t.fail('never started')), new VideoPending(id), 'a second one waits for the first');
    const unknown = newVideoId();
    await t.rejects(catalog.regenerate(tenantId, unknown, newRegenerationId(), async () => void t.fail('never started')), new VideoNotFound(unknown), 'an unknown video');
    t.same(eventsOf(id), ['video.ready'], 'nothing announced while it runs');

    await put(thumbnailMetaKey(id), JSON.stringify(metaOf(id, 'again.mp4', { atSeconds: 7, score: null, at: 7, atSource: 'regeneration', regeneration: first })));
    await apply({ change: 'created', key: thumbnailMetaKey(id) });
    const again = await catalog.video(tenantId, id);
    t.match(again, { status: 'ready', outputs: { poster: { atSeconds: 7, score: null } } }, "ready from its own run's meta.json");
    t.ok(again.readyAt! > ready.readyAt!, 'ready again, later');
    t.same(eventsOf(id), ['video.ready', 'video.ready'], 'announced again');

    // A start that fails leaves the video as it was.
    await t.rejects(
      catalog.regenerate(tenantId, id, newRegenerationId(), async () => {
        throw new Error('the function could not be invoked');
      }),
      { message: 'the function could not be invoked' },
    );
    t.same(await catalog.video(tenantId, id), again, 'still ready, as it was');
    await apply({ change: 'created', key: thumbnailMetaKey(id) });
    t.same(eventsOf(id), ['video.ready', 'video.ready'], 'and its run still counts as the last one (nothing announced again)');

    // A failed regeneration: its error.json, or its dead letter.
    const second = newRegenerationId();
    await catalog.regenerate(tenantId, id, second, async () => undefined);
    await put(thumbnailErrorKey(id), JSON.stringify({ reason: 'no frame at 99 s', videoKey: key, at: new Date().toISOString(), regeneration: second }));
    await apply({ change: 'created', key: thumbnailErrorKey(id) });
    t.match(await catalog.video(tenantId, id), { status: 'failed', error: 'no frame at 99 s' }, 'its own error.json fails it');
    const third = newRegenerationId();
    t.match(await catalog.regenerate(tenantId, id, third, async () => undefined), { status: 'pending' }, 'a failed video may be regenerated');
    t.notOk('error' in (await catalog.video(tenantId, id)), 'its reason cleared while it runs');
    await catalog.thumbnailerGaveUp(bucket, key, { reason: 'the thumbnailer gave up after 6 attempts', regeneration: third });
    t.match(await catalog.video(tenantId, id), { status: 'failed', error: 'the thumbnailer gave up after 6 attempts' }, 'its dead letter fails it');
    t.same(eventsOf(id), ['video.ready', 'video.ready', 'video.failed', 'video.failed']);
  });

  t.test('thumbnail files: recorded with their size, paged in key order, dropped when removed', async (t) => {
    const id = newVideoId();
    const key = videoKey(id, 'stills.mp4');
    await put(key, Buffer.alloc(500, 5), 'video/mp4');
    const sizes = [await put(thumbnailKey(id, 96, 'jpeg'), Buffer.alloc(11, 1)), await put(thumbnailKey(id, 160, 'jpeg'), Buffer.alloc(22, 1))];
    const ours = async () => {
      const items = [];
      let cursor: string | undefined;
      do {
        const page = await catalog.thumbnails(tenantId, { limit: 1, cursor });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return items.filter((item) => item.videoId === id);
    };
    // Before their video is known: not recorded (its meta.json records them), and left in the bucket.
    await apply({ change: 'created', key: thumbnailKey(id, 96, 'jpeg'), size: sizes[0] });
    t.same(await ours(), [], 'a thumbnail of a video the catalog does not know is not listed');
    t.ok(await exists(s3, bucket, thumbnailKey(id, 96, 'jpeg')), 'and its file stays');
    await apply({ change: 'created', key, size: 500 });
    await apply({ change: 'created', key: thumbnailKey(id, 96, 'jpeg'), size: sizes[0] }, { change: 'created', key: thumbnailKey(id, 160, 'jpeg') });
    t.same(
      (await ours()).map(({ key: k, width, size }) => ({ key: k, width, size })),
      [
        { key: thumbnailKey(id, 160, 'jpeg'), width: 160, size: 22 },
        { key: thumbnailKey(id, 96, 'jpeg'), width: 96, size: 11 },
      ],
      'in key order, a page of one at a time; the size from the event, or from the object when the event had none',
    );
    await apply({ change: 'removed', key: thumbnailKey(id, 160, 'jpeg') });
    t.same((await ours()).map((item) => item.width), [96], 'a removed file is dropped');
    await t.rejects(catalog.thumbnails(tenantId, { limit: 5, cursor: Buffer.from('videos/x').toString('base64url') }), { message: /cursor/ }, 'a cursor outside thumbnails/ is refused');
  });

  t.test('the video removed from the bucket: a tombstone, its outputs removed, announced once; late outputs are removed as they come', async (t) => {
    const id = newVideoId();
    const key = videoKey(id, 'gone.mp4');
    await put(key, Buffer.alloc(700, 6), 'video/mp4');
    await apply({ change: 'created', key, size: 700 });
    await put(thumbnailKey(id, 96, 'jpeg'), Buffer.alloc(5, 1));
    await put(posterKey(id, 'jpeg'), Buffer.alloc(5, 1));
    await apply({ change: 'created', key: thumbnailKey(id, 96, 'jpeg'), size: 5 });

    await apply({ change: 'removed', key }, { change: 'removed', key });
    await t.rejects(catalog.video(tenantId, id), new VideoNotFound(id), 'gone from reads');
    t.notOk((await catalog.videos(tenantId, { limit: 100 })).items.some((item) => item.id === id), 'and from the list');
    t.notOk(await exists(s3, bucket, posterKey(id, 'jpeg')), 'its outputs are removed');
    t.notOk(await exists(s3, bucket, thumbnailKey(id, 96, 'jpeg')));
    t.same(eventsOf(id), ['video.deleted'], 'announced once');
    t.match(sink.events.find((event) => event.type === 'video.deleted' && event.data.id === id)?.data, { id, status: 'pending', name: 'gone.mp4' }, 'with the video as it was');

    // The thumbnailer was still running: its outputs, and a late report of the upload itself.
    await put(thumbnailKey(id, 160, 'jpeg'), Buffer.alloc(5, 1));
    await put(thumbnailMetaKey(id), JSON.stringify(metaOf(id, 'gone.mp4')));
    await apply({ change: 'created', key: thumbnailKey(id, 160, 'jpeg'), size: 5 }, { change: 'created', key: thumbnailMetaKey(id) }, { change: 'created', key, size: 700 });
    t.notOk(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')), 'a late thumbnail is removed from the bucket');
    t.notOk(await exists(s3, bucket, thumbnailMetaKey(id)), 'a late meta.json too');
    await t.rejects(catalog.video(tenantId, id), new VideoNotFound(id), 'the video never comes back');
    t.same(eventsOf(id), ['video.deleted'], 'and nothing more is announced');
  });

  t.test('changes the catalog has nothing to do with', async (t) => {
    const before = (await catalog.videos(tenantId, { limit: 100 })).items.length;
    const announced = sink.events.length;
    await apply({ change: 'created', key: 'notes/readme.txt', size: 3 }, { change: 'created', key: 'videos/not-an-id/x.mp4', size: 3 });
    await catalog.enqueue([{ change: 'created', bucket: 'someone-elses-bucket', key: videoKey(newVideoId(), 'x.mp4'), size: 3, at: new Date().toISOString() }]);
    await fixture.caughtUp();
    const id = newVideoId();
    await apply({ change: 'created', key: videoKey(id, 'never-stored.mp4'), size: 3 });
    t.equal((await catalog.videos(tenantId, { limit: 100 })).items.length, before, 'nothing recorded: other keys, another bucket, a video whose object is not there');
    t.equal(sink.events.length, announced, 'nothing announced');
  });
});

t.test('a status change and its webhook event commit together: a refused hand-over undoes the change, and the retry makes both', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  let refusals = 0;
  const events: WebhookEvent[] = [];
  const sink: WebhookEventSink = {
    publish: async (event) => {
      if (refusals > 0) {
        refusals -= 1;
        throw new Error('the webhooks could not take the event');
      }
      events.push(event);
    },
  };
  const fixture = await openTestCatalog(t, store.connection, { webhooks: sink });
  const { catalog, bucket } = fixture;
  const tenantId = fixture.tenant.id;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const upload = async (id: string) => {
    const key = videoKey(id, 'clip.mp4');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(100, 7), ContentType: 'video/mp4' }));
    await catalog.enqueue([{ bucket, at: new Date().toISOString(), change: 'created', key, size: 100 }]);
    await fixture.caughtUp();
    return key;
  };

  // Called directly: the refusal reaches the caller, and the video is as it was.
  const stuck = newVideoId();
  const stuckKey = await upload(stuck);
  refusals = 1;
  await t.rejects(catalog.thumbnailerGaveUp(bucket, stuckKey, { reason: 'the thumbnailer gave up', regeneration: null }), { message: 'the webhooks could not take the event' });
  t.equal((await catalog.video(tenantId, stuck)).status, 'pending', 'still pending: the change went with the event');
  await catalog.thumbnailerGaveUp(bucket, stuckKey, { reason: 'the thumbnailer gave up', regeneration: null });
  t.equal((await catalog.video(tenantId, stuck)).status, 'failed');
  t.same(events.map((event) => [event.type, event.data.id]), [['video.failed', stuck]], 'announced once it committed');

  // As a queued change: the job fails, and its retry fails the video and announces it (a change
  // committed without its event would have left nothing to announce on the retry).
  const broken = newVideoId();
  const brokenKey = await upload(broken);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: thumbnailErrorKey(broken), Body: JSON.stringify({ reason: 'moov atom not found', videoKey: brokenKey }) }));
  refusals = 1;
  await catalog.enqueue([{ bucket, at: new Date().toISOString(), change: 'created', key: thumbnailErrorKey(broken) }]);
  await fixture.caughtUp();
  t.match(await catalog.video(tenantId, broken), { status: 'failed', error: 'moov atom not found' });
  t.same(events.filter((event) => event.data.id === broken).map((event) => event.type), ['video.failed'], 'announced by the retry, once');
  const jobs = (await fixture.boss.findJobs(CATALOG_EVENTS_QUEUE)).filter((job) => (job.data as { key: string }).key === thumbnailErrorKey(broken));
  t.same(jobs.map((job) => [job.state, job.retryCount]), [['completed', 1]], 'on its second attempt');
});
