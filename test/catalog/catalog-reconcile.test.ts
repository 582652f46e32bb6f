// The catalog reconcile against a real bucket (versitygw) and the real catalog (PGlite, the job
// engine): what the events missed is added, rows whose objects are gone are dropped, a deleted
// video's leftovers are removed, old tombstones are purged, an upload racing the listing is never
// dropped, and the reconcile runs as a job (on a schedule, one at a time). The store's own events go
// elsewhere: every change here is the reconcile's.
import t from 'tap';
import { VideoNotFound } from '../../src/domain/errors.js';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { newVideoId, thumbnailErrorKey, thumbnailKey, thumbnailMetaKey, videoKey, type ThumbnailMeta } from '../../src/domain/video-layout.js';
import { CATALOG_RECONCILE_QUEUE } from '../../src/catalog/catalog-queue.js';
import { createCatalogReconcile } from '../../src/catalog/catalog-reconcile.js';
import { createChangeIngest } from '../../src/catalog/object-change-ingest.js';
import { videoState } from '../../src/catalog/catalog-records.js';
import { openTestCatalog, recordingSink } from '../helpers/catalog.js';
import { startTestStore, testS3Client } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';

async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  return s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

const meta = (videoId: string, name: string): ThumbnailMeta => ({
  videoKey: videoKey(videoId, name),
  durationSeconds: 3,
  width: 640,
  height: 360,
  codec: 'vp9',
  rotation: 0,
  hdr: null,
  atSeconds: 0.3,
  score: null,
  at: '10%',
  atSource: 'settings',
  regeneration: null,
  format: 'jpeg',
  widths: [96],
  storyboard: null,
  preview: null,
  skipped: [],
  createdAt: new Date().toISOString(),
});

t.test('the reconcile brings the catalog in line with the bucket', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const sink = recordingSink();
  const CRON = '5 4 * * *';
  const fixture = await openTestCatalog(t, store.connection, { webhooks: sink, reconcileCron: CRON });
  const { catalog, bucket, db, boss } = fixture;
  const tenantId = fixture.tenant.id;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const put = (key: string, body: string | Buffer, contentType?: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  const upload = (id: string, name: string) => catalog.recordUpload({ tenantId, id, name, key: videoKey(id, name), size: 10, contentType: 'video/mp4', createdAt: new Date().toISOString() });
  const reconciled = async () => {
    const before = (await boss.findJobs(CATALOG_RECONCILE_QUEUE)).filter((job) => job.state === 'completed').length;
    await catalog.requestReconcile('test');
    await eventually(async () => (await boss.findJobs(CATALOG_RECONCILE_QUEUE)).filter((job) => job.state === 'completed').length > before || undefined, 'the reconcile job');
  };

  // Missed entirely: a video and all its outputs.
  const missed = newVideoId();
  await put(videoKey(missed, 'missed.webm'), Buffer.alloc(1234, 1), 'video/webm');
  await put(thumbnailKey(missed, 96, 'jpeg'), Buffer.alloc(77, 1));
  await put(thumbnailMetaKey(missed), JSON.stringify(meta(missed, 'missed.webm')));
  // Known and pending, its error.json missed.
  const broken = newVideoId();
  await put(videoKey(broken, 'broken.mp4'), Buffer.alloc(10, 2), 'video/mp4');
  await upload(broken, 'broken.mp4');
  await put(thumbnailErrorKey(broken), JSON.stringify({ reason: 'invalid data found when processing input', videoKey: videoKey(broken, 'broken.mp4'), at: new Date().toISOString() }));
  // Known, its object gone (removed past the events), and a thumbnail row whose file is gone.
  const vanished = newVideoId();
  await upload(vanished, 'vanished.mp4');
  await catalog.enqueue([{ change: 'created', bucket, key: thumbnailKey(broken, 160, 'jpeg'), size: 5, at: new Date().toISOString() }]);
  await fixture.caughtUp();
  t.same((await catalog.thumbnails(tenantId, { limit: 100 })).items.map((item) => item.key), [thumbnailKey(broken, 160, 'jpeg')], 'a thumbnail row whose file is not there');
  // Deleted, with an output the thumbnailer wrote after the delete and whose event was lost.
  const deleted = newVideoId();
  await put(videoKey(deleted, 'deleted.mp4'), Buffer.alloc(10, 3), 'video/mp4');
  await upload(deleted, 'deleted.mp4');
  await catalog.deleteVideo(tenantId, bucket, deleted);
  t.match(sink.events.at(-1), { type: 'video.deleted', tenantId, data: { id: deleted, name: 'deleted.mp4', status: 'pending' } }, 'DELETE announces video.deleted');
  await put(thumbnailKey(deleted, 96, 'jpeg'), Buffer.alloc(5, 1));
  const announcedBefore = sink.events.length;

  await reconciled();

  t.match(await catalog.video(tenantId, missed), { status: 'ready', name: 'missed.webm', size: 1234, contentType: 'video/webm', durationSeconds: 3, codec: 'vp9' }, 'a missed video is added, ready');
  const thumbnails = (await catalog.thumbnails(tenantId, { limit: 100 })).items;
  t.same(thumbnails.map(({ key, size }) => ({ key, size })), [{ key: thumbnailKey(missed, 96, 'jpeg'), size: 77 }], 'a missed thumbnail is added with its size; a row whose file is gone is dropped');
  t.match(await catalog.video(tenantId, broken), { status: 'failed', error: 'invalid data found when processing input' }, 'a missed error.json fails its video');
  await t.rejects(catalog.video(tenantId, vanished), new VideoNotFound(vanished), 'a video whose object is gone is dropped');
  t.notOk(await exists(s3, bucket, thumbnailKey(deleted, 96, 'jpeg')), "a deleted video's leftover output is removed");
  t.same(
    sink.events.slice(announcedBefore).map((event) => [event.type, event.data.id]).sort(),
    [
      ['video.deleted', vanished],
      ['video.failed', broken],
      ['video.ready', missed],
    ].sort(),
    'each change is announced',
  );

  const announced = sink.events.length;
  await reconciled();
  t.equal(sink.events.length, announced, 'a second pass finds nothing to change');

  const schedules = await boss.getSchedules(CATALOG_RECONCILE_QUEUE);
  t.same(schedules.map((schedule) => [schedule.cron, schedule.timezone]), [[CRON, 'UTC']], 'it runs on the configured schedule, in UTC');
  const [queue] = await boss.getQueues([CATALOG_RECONCILE_QUEUE]);
  t.equal(queue?.policy, 'exclusive', 'one at a time across replicas');

  t.test('an upload racing the listing is not dropped; old tombstones with nothing left are purged', async (t) => {
    const racing = newVideoId();
    let raced = false;
    // The upload's row is written while the listing runs, its object after the listing saw the bucket.
    const store = {
      ...fixture.storage,
      list: async (...args: Parameters<typeof fixture.storage.list>) => {
        const page = await fixture.storage.list(...args);
        if (!raced) {
          raced = true;
          await upload(racing, 'racing.mp4');
        }
        return page;
      },
    };
    const logger = pino({ level: 'silent' });
    const ingest = createChangeIngest({ db, store, announce: async () => {}, logger });
    const reconcile = createCatalogReconcile({ db, store, ingest, logger, tombstoneRetentionMs: 0 });
    await reconcile.reconcileTenant(tenantId, bucket);
    t.equal((await catalog.video(tenantId, racing)).status, 'pending', 'a row written after the listing began stays');
    t.equal(await videoState(db, tenantId, deleted), 'unknown', 'a tombstone past its retention with nothing left is purged');
    t.equal(await videoState(db, tenantId, vanished), 'unknown');
    await reconcile.reconcileTenant(tenantId, bucket);
    t.equal(await videoState(db, tenantId, racing), 'deleted', 'the next pass drops it: its object never came');
    await reconcile.reconcileTenant(tenantId, bucket);
    t.equal(await videoState(db, tenantId, racing), 'unknown', 'and the one after purges its tombstone');
  });
});
