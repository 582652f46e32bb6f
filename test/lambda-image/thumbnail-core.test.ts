// The thumbnail core against real ffmpeg on videos made by lavfi: sizes, formats, rotation,
// short clips, and a typed error with a readable reason for what cannot be decoded or read.
import t from 'tap';
import { renderThumbnails } from '../../src/lambda-image/thumbnail-core.js';
import { frameTime } from '../../src/lambda-image/frame-position.js';
import { thumbnailSize } from '../../src/lambda-image/thumbnail-size.js';
import { SourceUnreadable, ThumbnailTimedOut, VideoUndecodable } from '../../src/lambda-image/thumbnail-errors.js';
import { freePort } from '../../src/local/free-port.js';
import { tempDir } from '../helpers/local-store.js';
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
      const images = await renderThumbnails(path, { widths: c.widths, format: c.format, at: '10%' });
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
    const [image] = await renderThumbnails(path, { widths: [160], format: 'jpeg', at: '50%' });
    t.equal(image!.atSeconds, 0);
    t.same(await imageInfo(image!.bytes), { codec: 'mjpeg', width: 160, height: 90 });
    t.ok((await pixelVariance(image!.bytes)) > NOT_BLANK);
  });

  t.test('a position past the end is capped', async (t) => {
    const path = await makeVideo(dir, { name: 'capped.mp4', seconds: 2 });
    const [image] = await renderThumbnails(path, { widths: [160], format: 'jpeg', at: 60 });
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
    const path = await makeVideo(dir, { name: 'slow.mp4' });
    const error = await renderThumbnails(path, { widths: [160], format: 'jpeg', at: '10%' }, { timeoutMs: 1 }).catch((e: unknown) => e);
    t.type(error, ThumbnailTimedOut);
  });
});
