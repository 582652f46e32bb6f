// The thumbnail core against real ffmpeg on videos made by lavfi: sizes, formats, rotation,
// short clips, a typed error with a readable reason for what cannot be decoded or read, and
// ranged reads over a presigned URL that never fetch the whole video.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createS3Client } from '../../src/domain/s3-connection.js';
import { renderThumbnails } from '../../src/lambda-image/thumbnail-core.js';
import { frameTime } from '../../src/lambda-image/frame-position.js';
import { thumbnailSize } from '../../src/lambda-image/thumbnail-size.js';
import { SourceUnreadable, ThumbnailTimedOut, VideoUndecodable } from '../../src/lambda-image/thumbnail-errors.js';
import { freePort } from '../../src/local/free-port.js';
import { countingProxy } from '../helpers/counting-proxy.js';
import { startTestStore, tempDir, testS3Client } from '../helpers/local-store.js';
import { imageInfo, makeTextFile, makeTruncatedVideo, makeVideo, pixelVariance } from '../helpers/videos.js';

const NOT_BLANK = 100;

t.test('frameTime: seconds or a share of the duration, kept inside the video', async (t) => {
  t.equal(frameTime('10%', 100), 10);
  t.equal(frameTime('50%', 3), 1.5);
  t.equal(frameTime(4, 100), 4);
  t.equal(frameTime(400, 100), 99.5, 'capped before the end');
  t.equal(frameTime('100%', 10), 9.5);
  t.equal(frameTime('10%', 0.4), 0, 'a sub-second clip uses its first frame');
  t.equal(frameTime(3, undefined), 0, 'no known duration: first frame');
});

t.test('thumbnailSize: aspect kept, even sides, never wider than the source', async (t) => {
  t.same(thumbnailSize(160, { width: 320, height: 180 }), { width: 160, height: 90 });
  t.same(thumbnailSize(120, { width: 320, height: 180 }), { width: 120, height: 68 });
  t.same(thumbnailSize(640, { width: 320, height: 180 }), { width: 320, height: 180 });
  t.same(thumbnailSize(640, { width: 321, height: 241 }), { width: 320, height: 240 });
  t.same(thumbnailSize(90, { width: 180, height: 320 }), { width: 90, height: 160 });
});

t.test('renderThumbnails on real videos', async (t) => {
  const dir = await tempDir(t);

  const cases = [
    { what: 'mp4 (h264)', spec: { name: 'clip.mp4' }, format: 'jpeg' as const, codec: 'mjpeg', widths: [160, 640], sizes: [[160, 90], [320, 180]] },
    { what: 'mov as webp', spec: { name: 'clip.mov' }, format: 'webp' as const, codec: 'webp', widths: [120], sizes: [[120, 68]] },
    { what: 'webm (vp9)', spec: { name: 'clip.webm', codec: 'vp9' as const }, format: 'jpeg' as const, codec: 'mjpeg', widths: [200], sizes: [[200, 112]] },
    { what: 'portrait', spec: { name: 'portrait.mp4', width: 180, height: 320 }, format: 'jpeg' as const, codec: 'mjpeg', widths: [90], sizes: [[90, 160]] },
    { what: 'rotation tag (90°)', spec: { name: 'rotated.mp4', rotate: 90 as const }, format: 'jpeg' as const, codec: 'mjpeg', widths: [90, 400], sizes: [[90, 160], [180, 320]] },
  ];
  for (const c of cases) {
    t.test(c.what, async (t) => {
      const path = await makeVideo(dir, c.spec);
      const { stills: images } = await renderThumbnails(path, { widths: c.widths, format: c.format, at: '10%' });
      t.equal(images.length, c.widths.length);
      for (const [index, image] of images.entries()) {
        const info = await imageInfo(image.bytes);
        t.equal(image.requestedWidth, c.widths[index]);
        t.same([info.width, info.height], c.sizes[index], `decoded size for w${c.widths[index]}`);
        t.same([image.width, image.height], c.sizes[index], 'reported size matches the image');
        t.equal(info.codec, c.codec);
        t.ok((await pixelVariance(image.bytes)) > NOT_BLANK, 'not blank');
      }
      t.equal(images[0]!.atSeconds, 0.2, '10% of 2 s');
    });
  }

  t.test('a sub-second clip falls back to its first frame', async (t) => {
    const path = await makeVideo(dir, { name: 'short.mp4', seconds: 0.4 });
    const [image] = (await renderThumbnails(path, { widths: [160], format: 'jpeg', at: '50%' })).stills;
    t.equal(image!.atSeconds, 0);
    t.same(await imageInfo(image!.bytes), { codec: 'mjpeg', width: 160, height: 90 });
    t.ok((await pixelVariance(image!.bytes)) > NOT_BLANK);
  });

  t.test('a position past the end is capped', async (t) => {
    const path = await makeVideo(dir, { name: 'capped.mp4', seconds: 2 });
    const [image] = (await renderThumbnails(path, { widths: [160], format: 'jpeg', at: 60 })).stills;
    t.equal(image!.atSeconds, 1.5);
    t.ok(image!.bytes.length > 0);
  });

  t.test('a truncated file is undecodable, with a reason', async (t) => {
    const path = await makeTruncatedVideo(dir, 'truncated.mp4');
    const error = await renderThumbnails(path, { widths: [160], format: 'jpeg', at: '10%' }).catch((e: unknown) => e);
    t.type(error, VideoUndecodable);
    t.match((error as VideoUndecodable).reason, /moov atom not found|Invalid data/);
  });

  t.test('a text file named .mp4 is undecodable, with a reason', async (t) => {
    const path = await makeTextFile(dir, 'text.mp4');
    const error = await renderThumbnails(path, { widths: [160], format: 'jpeg', at: '10%' }).catch((e: unknown) => e);
    t.type(error, VideoUndecodable);
    t.match((error as VideoUndecodable).reason, /Invalid data|moov atom not found/);
    t.notMatch((error as VideoUndecodable).reason, dir, 'the reason does not name the input');
  });

  t.test('a source that cannot be reached is unreadable (worth a retry), and the URL stays out of the reason', async (t) => {
    const url = `http://127.0.0.1:${await freePort()}/bucket/videos/x.mp4?X-Amz-Signature=topsecret`;
    const error = await renderThumbnails(url, { widths: [160], format: 'jpeg', at: '10%' }).catch((e: unknown) => e);
    t.type(error, SourceUnreadable);
    t.notMatch((error as SourceUnreadable).reason, /topsecret|X-Amz/);
  });

  t.test('a run over its time budget is a timeout', async (t) => {
    // A source that never delivers a byte (a FIFO nobody writes to): nothing but the budget can end the run.
    const path = join(dir, 'never.mp4');
    execFileSync('mkfifo', [path]);
    const error = await renderThumbnails(path, { widths: [160], format: 'jpeg', at: '10%' }, { timeoutMs: 500 }).catch((e: unknown) => e);
    t.type(error, ThumbnailTimedOut);
    t.match((error as ThumbnailTimedOut).message, /^ffprobe did not finish within/, 'the step that was cut short');
  });
});

t.test('over a presigned URL the frame is reached by seeking (-ss before -i, ranged reads), never by downloading the video', async (t) => {
  const store = await startTestStore(t);
  // Paced like a network link: unpaced, loopback socket buffers would count megabytes of each
  // open-ended range that ffmpeg hangs up on unread (see bench/results/thumbnail.md).
  const proxy = await countingProxy(store.connection.endpoint, { bytesPerSecond: 4 * 1024 * 1024 });
  t.teardown(() => proxy.close());
  const s3 = testS3Client(store);
  const viaProxy = createS3Client({ ...store.connection, endpoint: proxy.url });
  t.teardown(() => {
    s3.destroy();
    viaProxy.destroy();
  });
  // 60 s that stay a few MB: low resolution, a keyframe every second, ffmpeg's default moov at the end.
  const path = await makeVideo(await tempDir(t), { name: 'minute.mp4', seconds: 60, width: 320, height: 180, rate: 25, gop: 25 });
  const { size } = await stat(path);
  const [Bucket, Key] = ['core-ranged-reads', 'videos/minute.mp4'];
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key, Body: await readFile(path) }));
  const url = await getSignedUrl(viaProxy, new GetObjectCommand({ Bucket, Key }), { expiresIn: 600 });

  // What the store sent for a render, counted once no read of it is still in flight.
  const counted = async () => {
    await proxy.settled();
    return proxy.take();
  };
  proxy.take();
  const [image] = (await renderThumbnails(url, { widths: [160], format: 'jpeg', at: '50%' })).stills;
  const read = await counted();
  t.equal(image!.atSeconds, 30);
  t.ok((await pixelVariance(image!.bytes)) > NOT_BLANK, 'a real frame from the middle');
  t.ok(read > 0, 'the reads went through the proxy');
  t.ok(read < 0.4 * size, `read ${read} of ${size} bytes (${Math.round((100 * read) / size)}%)`);

  // "auto" decodes only its windows near 10%, reached the same way.
  const auto = await renderThumbnails(url, { widths: [160], format: 'jpeg', at: 'auto' });
  const autoRead = await counted();
  t.ok(auto.frame.atSeconds >= 4 && auto.frame.atSeconds <= 8, `"auto" chose ${auto.frame.atSeconds} s, near 10%`);
  t.ok(autoRead < 0.4 * size, `"auto" read ${autoRead} of ${size} bytes (${Math.round((100 * autoRead) / size)}%)`);

  // The count is not low by construction: a whole GetObject through the same proxy counts every byte.
  const whole = await viaProxy.send(new GetObjectCommand({ Bucket, Key }));
  await whole.Body!.transformToByteArray();
  t.equal(await counted(), size, 'a download counts the whole object');
});
