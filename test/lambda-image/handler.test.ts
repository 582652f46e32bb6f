// The Lambda handler against the real object store and real ffmpeg: keys decoded as S3 sends them,
// thumbnails written with their headers, error.json for undecodable videos, independent records.
import t from 'tap';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createThumbnailHandler, THUMBNAIL_CACHE_CONTROL, ThumbnailRecordsFailed } from '../../src/lambda-image/handler.js';
import { encodeS3EventKey, decodeS3EventKey } from '../../src/lambda-image/s3-event-key.js';
import { s3EventRecord } from '../../src/local/s3-event-record.js';
import { newVideoId, posterKey, thumbnailErrorKey, thumbnailKey, thumbnailMetaKey, videoKey, type ThumbnailErrorRecord } from '../../src/domain/video-layout.js';
import { startTestStore, tempDir, testS3Client } from '../helpers/local-store.js';
import { imageInfo, makeTextFile, makeTruncatedVideo, makeVideo, pixelVariance } from '../helpers/videos.js';
import { readFile } from 'node:fs/promises';

const Bucket = 'handler-test';

function s3Event(...keys: string[]): S3Event {
  return { Records: keys.map((key) => s3EventRecord({ bucket: Bucket, key, size: 1, eTag: 'x' }, 'ObjectCreated:Put', 'us-east-1')) };
}

async function objectKeys(s3: S3Client, prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

/** What the default jpeg handler writes for a video: w160, w640, the poster and meta.json. */
const stillKeys = (id: string) => [thumbnailMetaKey(id), posterKey(id, 'jpeg'), thumbnailKey(id, 160, 'jpeg'), thumbnailKey(id, 640, 'jpeg')].sort();

async function body(s3: S3Client, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

t.test('S3 event keys: + is a space, then percent-decoding', async (t) => {
  t.equal(decodeS3EventKey('videos/a+b%2Bc%C3%A7.mp4'), 'videos/a b+cç.mp4');
  const key = 'videos/01J0000000000000000000000/a b+ç (1).mp4';
  t.equal(encodeS3EventKey(key), 'videos/01J0000000000000000000000/a+b%2B%C3%A7+(1).mp4');
  t.equal(decodeS3EventKey(encodeS3EventKey(key)), key);
});

t.test('thumbnail handler', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket }));
  const dir = await tempDir(t);
  const upload = async (path: string, key: string) => {
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: await readFile(path) }));
    return key;
  };
  const handler = createThumbnailHandler({ s3, settings: { widths: [160, 640], format: 'jpeg', at: '10%' } });

  t.test('a name with spaces, + and non-ASCII gets every width, with content type and cache headers', async (t) => {
    const id = newVideoId();
    const key = await upload(await makeVideo(dir, { name: 'named.mp4' }), videoKey(id, 'a b+ç é.mp4'));
    const result = await handler(s3Event(key));
    t.same(result.records.map((record) => record.outcome), ['thumbnails']);
    t.same(await objectKeys(s3, `thumbnails/${id}/`), stillKeys(id));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: thumbnailKey(id, 160, 'jpeg') }));
    t.equal(head.ContentType, 'image/jpeg');
    t.equal(head.CacheControl, THUMBNAIL_CACHE_CONTROL);
    const small = await body(s3, thumbnailKey(id, 160, 'jpeg'));
    t.same(await imageInfo(small), { codec: 'mjpeg', width: 160, height: 90 });
    t.ok((await pixelVariance(small)) > 100, 'not blank');
    t.same(await imageInfo(await body(s3, thumbnailKey(id, 640, 'jpeg'))), { codec: 'mjpeg', width: 320, height: 180 }, 'not upscaled');
  });

  t.test('webp settings write webp thumbnails', async (t) => {
    const webp = createThumbnailHandler({ s3, settings: { widths: [200], format: 'webp', at: 1 } });
    const id = newVideoId();
    const key = await upload(await makeVideo(dir, { name: 'vp9.webm', codec: 'vp9' }), videoKey(id, 'clip.webm'));
    await webp(s3Event(key));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: thumbnailKey(id, 200, 'webp') }));
    t.equal(head.ContentType, 'image/webp');
    t.same(await imageInfo(await body(s3, thumbnailKey(id, 200, 'webp'))), { codec: 'webp', width: 200, height: 112 });
  });

  t.test('undecodable videos get error.json with a reason, and records stay independent', async (t) => {
    const [truncatedId, textId, goodId] = [newVideoId(), newVideoId(), newVideoId()];
    const truncated = await upload(await makeTruncatedVideo(dir, 'cut.mp4'), videoKey(truncatedId, 'cut.mp4'));
    const text = await upload(await makeTextFile(dir, 'notes.mp4'), videoKey(textId, 'notes.mp4'));
    const good = await upload(await makeVideo(dir, { name: 'good.mov' }), videoKey(goodId, 'good.mov'));
    const result = await handler(s3Event(truncated, 'thumbnails/not-a-video.jpg', text, good));
    t.same(result.records.map((record) => record.outcome), ['failed', 'skipped', 'failed', 'thumbnails']);
    for (const [id, key] of [[truncatedId, truncated], [textId, text]] as const) {
      t.same(await objectKeys(s3, `thumbnails/${id}/`), [thumbnailErrorKey(id)], 'only error.json');
      const record = JSON.parse((await body(s3, thumbnailErrorKey(id))).toString()) as ThumbnailErrorRecord;
      t.equal(record.videoKey, key);
      t.match(record.reason, /moov atom not found|Invalid data/);
      t.notMatch(record.reason, /X-Amz|http/, 'the reason carries no link');
      t.ok(Date.parse(record.at) > 0);
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key: thumbnailErrorKey(id) }));
      t.equal(head.ContentType, 'application/json');
    }
    t.same(await objectKeys(s3, `thumbnails/${goodId}/`), stillKeys(goodId));
  });

  t.test('redelivery of the same event rewrites the same keys', async (t) => {
    const id = newVideoId();
    const key = await upload(await makeVideo(dir, { name: 'again.mp4' }), videoKey(id, 'again.mp4'));
    await handler(s3Event(key));
    const first = await body(s3, thumbnailKey(id, 160, 'jpeg'));
    await handler(s3Event(key));
    t.same(await objectKeys(s3, `thumbnails/${id}/`), stillKeys(id));
    t.same(await imageInfo(await body(s3, thumbnailKey(id, 160, 'jpeg'))), await imageInfo(first));
  });

  t.test('a source that cannot be read fails the invocation (to be retried) after the other records, with no error.json', async (t) => {
    const [missingId, goodId] = [newVideoId(), newVideoId()];
    const good = await upload(await makeVideo(dir, { name: 'beside.mp4' }), videoKey(goodId, 'beside.mp4'));
    const error = await handler(s3Event(videoKey(missingId, 'gone.mp4'), good)).catch((e: unknown) => e);
    t.type(error, ThumbnailRecordsFailed);
    t.equal((error as ThumbnailRecordsFailed).failures.length, 1);
    t.match((error as ThumbnailRecordsFailed).failures[0]!.message, /404|Not Found/);
    t.same(await objectKeys(s3, `thumbnails/${missingId}/`), [], 'nothing written for the unreadable one');
    t.same(await objectKeys(s3, `thumbnails/${goodId}/`), stillKeys(goodId));
  });
});
