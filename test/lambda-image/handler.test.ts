// The Lambda handler against the real object store and real ffmpeg: keys decoded as S3 sends them,
// thumbnails written with their headers, error.json for undecodable videos, independent records.
import t from 'tap';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createThumbnailHandler, THUMBNAIL_CACHE_CONTROL, ThumbnailRecordsFailed, type ThumbnailEvent } from '../../src/lambda-image/handler.js';
import { newRegenerationId, type Regeneration } from '../../src/domain/thumbnail-regeneration.js';
import { encodeS3EventKey, decodeS3EventKey } from '../../src/lambda-image/s3-event-key.js';
import { s3EventRecord } from '../../src/local/s3-event-record.js';
import { thumbnailSettingsSchema } from '../../src/domain/thumbnail-settings.js';
import {
  newVideoId,
  posterKey,
  previewKey,
  storyboardIndexKey,
  storyboardSheetKey,
  storyboardVttKey,
  thumbnailErrorKey,
  thumbnailKey,
  thumbnailMetaKey,
  VIDEO_AT_METADATA,
  videoKey,
  type StoryboardIndex,
  type ThumbnailErrorRecord,
  type ThumbnailMeta,
} from '../../src/domain/video-layout.js';
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
  const upload = async (path: string, key: string, metadata?: Record<string, string>) => {
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: await readFile(path), Metadata: metadata }));
    return key;
  };
  const meta = async (id: string) => JSON.parse((await body(s3, thumbnailMetaKey(id))).toString()) as ThumbnailMeta;
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

  t.test('storyboard, preview, poster and meta.json when the settings ask, "auto" by default', async (t) => {
    const everything = createThumbnailHandler({ s3, settings: thumbnailSettingsSchema.parse({ widths: [160, 320], storyboard: {}, preview: {} }) });
    const id = newVideoId();
    const key = await upload(await makeVideo(dir, { name: 'full.mp4', seconds: 12, filters: ["drawbox=color=black:t=fill:enable='lt(t,1.5)'"] }), videoKey(id, 'full.mp4'));
    const result = await everything(s3Event(key));
    const expected = [
      storyboardSheetKey(id, 0, 'jpeg'),
      storyboardVttKey(id),
      storyboardIndexKey(id),
      previewKey(id),
      posterKey(id, 'jpeg'),
      thumbnailKey(id, 160, 'jpeg'),
      thumbnailKey(id, 320, 'jpeg'),
      thumbnailMetaKey(id),
    ];
    t.same(await objectKeys(s3, `thumbnails/${id}/`), [...expected].sort());
    const written = result.records[0]!.outcome === 'thumbnails' ? result.records[0]!.keys : [];
    t.same([...written].sort(), [...expected].sort(), 'the record lists what it wrote');
    t.equal(written.at(-1), thumbnailMetaKey(id), 'meta.json written last');
    t.ok(written.indexOf(previewKey(id)) < written.indexOf(thumbnailKey(id, 160, 'jpeg')), 'the stills (which make a video ready) after the rest');
    const types = await Promise.all(expected.map(async (k) => (await s3.send(new HeadObjectCommand({ Bucket, Key: k }))).ContentType));
    t.same(types, ['image/jpeg', 'text/vtt; charset=utf-8', 'application/json', 'image/webp', 'image/jpeg', 'image/jpeg', 'image/jpeg', 'application/json']);
    const record = await meta(id);
    t.match(record, { videoKey: key, durationSeconds: 12, width: 320, height: 180, codec: 'h264', rotation: 0, hdr: null, at: 'auto', atSource: 'settings', format: 'jpeg', skipped: [] });
    t.ok(record.atSeconds >= 1.5, `past the black start: ${record.atSeconds} s`);
    t.ok(record.score! > 0);
    t.match(record.storyboard, { sheets: 1, tiles: 12, intervalSeconds: 1 });
    t.match(record.preview, { startSeconds: record.atSeconds, seconds: 3, width: 320, height: 180, fps: 10 });
    const index = JSON.parse((await body(s3, storyboardIndexKey(id))).toString()) as StoryboardIndex;
    t.equal(index.cues.length, 12);
    t.match((await body(s3, storyboardVttKey(id))).toString(), /^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.000\nstoryboard-0\.jpg#xywh=0,0,160,90\n/);
    t.same(await imageInfo(await body(s3, posterKey(id, 'jpeg'))), { codec: 'mjpeg', width: 320, height: 180 }, 'the poster is the largest still');
  });

  t.test('an upload’s own time, as object metadata, overrides the settings for that video', async (t) => {
    const id = newVideoId();
    const key = await upload(await makeVideo(dir, { name: 'own.mp4', seconds: 4 }), videoKey(id, 'own.mp4'), { [VIDEO_AT_METADATA]: '2.5' });
    await handler(s3Event(key));
    t.match(await meta(id), { at: 2.5, atSource: 'upload', atSeconds: 2.5, score: null });
    const other = newVideoId();
    const plain = await upload(await makeVideo(dir, { name: 'plain.mp4', seconds: 4 }), videoKey(other, 'plain.mp4'), { [VIDEO_AT_METADATA]: 'soon' });
    await handler(s3Event(plain));
    t.match(await meta(other), { at: '10%', atSource: 'settings', atSeconds: 0.4 }, 'an invalid value is ignored');
  });

  t.test('a regeneration: its own `at`, its id in meta.json, a stored storyboard the settings make kept, repeated by a later run', async (t) => {
    const settings = thumbnailSettingsSchema.parse({ widths: [160], at: '10%', storyboard: {}, preview: {} });
    const boards = createThumbnailHandler({ s3, settings });
    const id = newVideoId();
    const key = await upload(await makeVideo(dir, { name: 'regen.mp4', seconds: 4 }), videoKey(id, 'regen.mp4'), { [VIDEO_AT_METADATA]: '0.5' });
    const regenerate = async (handler: typeof boards, regeneration: Regeneration) => {
      const result = await handler({ ...s3Event(key), regeneration } satisfies ThumbnailEvent);
      const [record] = result.records;
      return record?.outcome === 'thumbnails' ? record.keys : [];
    };
    const storyboardKeys = [storyboardSheetKey(id, 0, 'jpeg'), storyboardVttKey(id), storyboardIndexKey(id)];
    const etags = async () => Promise.all(storyboardKeys.map(async (k) => (await s3.send(new HeadObjectCommand({ Bucket, Key: k }))).ETag));

    await boards(s3Event(key));
    t.match(await meta(id), { at: 0.5, atSource: 'upload', atSeconds: 0.5, regeneration: null }, "the upload's run");
    const storyboardBefore = await etags();
    const previewBefore = await body(s3, previewKey(id));

    const at2 = { id: newRegenerationId(), at: 2 };
    const written = await regenerate(boards, at2);
    t.same(written.filter((k) => storyboardKeys.includes(k)), [], 'the storyboard is kept: none of its files written again');
    t.same(await etags(), storyboardBefore, 'and they are as they were');
    t.ok(written.includes(previewKey(id)) && written.includes(thumbnailKey(id, 160, 'jpeg')), 'the stills and the preview (it starts at the chosen frame) are made again');
    t.notSame(await body(s3, previewKey(id)), previewBefore, 'a preview of the new segment');
    t.equal(written.at(-1), thumbnailMetaKey(id), 'meta.json last');
    const regenerated = await meta(id);
    t.match(regenerated, { at: 2, atSource: 'regeneration', atSeconds: 2, score: null, regeneration: at2.id, storyboard: { sheets: 1, tiles: 4, intervalSeconds: 1 } });
    t.match(regenerated.preview, { startSeconds: 1, seconds: 3 }, 'the preview follows the frame (moved earlier to fit the video)');

    const plain = { id: newRegenerationId() };
    await regenerate(boards, plain);
    t.match(await meta(id), { at: 0.5, atSource: 'upload', atSeconds: 0.5, regeneration: plain.id }, "without an `at`: the upload's own");

    const at3 = { id: newRegenerationId(), at: 3 };
    await regenerate(boards, at3);
    await boards(s3Event(key));
    t.match(await meta(id), { at: 3, atSource: 'regeneration', atSeconds: 3, regeneration: at3.id }, 'a later run of the upload event repeats the last regeneration');

    const wider = createThumbnailHandler({ s3, settings: thumbnailSettingsSchema.parse({ ...settings, storyboard: { tileWidth: 96 } }) });
    const remade = await regenerate(wider, { id: newRegenerationId(), at: 1 });
    t.same(remade.filter((k) => storyboardKeys.includes(k)).sort(), [...storyboardKeys].sort(), 'a storyboard the settings would make otherwise is made again');
    t.match(JSON.parse((await body(s3, storyboardIndexKey(id))).toString()), { tileWidth: 96 });

    const before = await meta(id);
    const refused = await boards({ ...s3Event(key), regeneration: { id: 'not-a-ulid', at: 1 } } as ThumbnailEvent);
    t.same(refused.records.map((record) => record.outcome), ['skipped'], 'a regeneration it cannot read runs nothing');
    t.same(await meta(id), before, 'and writes nothing');

    const brokenId = newVideoId();
    const broken = await upload(await makeTruncatedVideo(dir, 'cut-again.mp4'), videoKey(brokenId, 'cut-again.mp4'));
    const failing = { id: newRegenerationId(), at: 1 };
    await boards({ Records: s3Event(broken).Records, regeneration: failing });
    t.match(JSON.parse((await body(s3, thumbnailErrorKey(brokenId))).toString()), { videoKey: broken, regeneration: failing.id }, 'error.json names the regeneration');
  });

  t.test('avif settings write avif stills', async (t) => {
    const avif = createThumbnailHandler({ s3, settings: thumbnailSettingsSchema.parse({ widths: [200], format: 'avif', at: 1 }) });
    const id = newVideoId();
    await avif(s3Event(await upload(await makeVideo(dir, { name: 'avif.mp4' }), videoKey(id, 'avif.mp4'))));
    t.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: thumbnailKey(id, 200, 'avif') }))).ContentType, 'image/avif');
    t.same(await imageInfo(await body(s3, posterKey(id, 'avif'))), { codec: 'av1', width: 200, height: 112 });
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
