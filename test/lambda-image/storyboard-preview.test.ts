// Storyboards, animated previews and AVIF: the plan's cues in order and covering the whole duration,
// sprite sheets whose tiles hold real frames where the WebVTT says, an animated WebP within its
// limits, and AVIF stills that decode to the right size.
import t, { type Test } from 'tap';
import { previewSettingsSchema, storyboardSettingsSchema, thumbnailSettingsSchema, PREVIEW_LIMITS } from '../../src/domain/thumbnail-settings.js';
import type { StoryboardIndex } from '../../src/domain/video-layout.js';
import { MAX_PREVIEW_BYTES, previewSegment } from '../../src/lambda-image/animated-preview.js';
import { AUTO_MAX_TILES, planStoryboard, storyboardIndex, storyboardInterval, storyboardVtt } from '../../src/lambda-image/storyboard-plan.js';
import { renderThumbnails } from '../../src/lambda-image/thumbnail-core.js';
import { tempDir } from '../helpers/local-store.js';
import { imageInfo, imageStats, makeVideo, pixelVariance } from '../helpers/videos.js';
import { spawnSync } from 'node:child_process';

const display = { width: 320, height: 180 };

type Cue = { start: number; end: number; file: string; x: number; y: number; w: number; h: number };

/** Reads the WebVTT back: every cue's times and its `file#xywh=` target. */
function parseVtt(vtt: string): Cue[] {
  const seconds = (text: string) => text.split(':').reduce((total, part) => total * 60 + Number(part), 0);
  const [header, ...blocks] = vtt.trim().split(/\n\n+/);
  if (header !== 'WEBVTT') throw new Error(`not a WebVTT file: ${header}`);
  return blocks.map((block) => {
    const [timing, target] = block.split('\n') as [string, string];
    const [start, end] = timing.split(' --> ') as [string, string];
    const [, file, x, y, w, h] = /^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(target)!;
    return { start: seconds(start), end: seconds(end), file: file!, x: Number(x), y: Number(y), w: Number(w), h: Number(h) };
  });
}

/** In order, without gaps or overlaps, from 0 to the duration; every tile inside its sheet. */
function checkCues(t: Test, cues: Cue[], index: StoryboardIndex) {
  t.equal(cues[0]!.start, 0, 'the first cue starts at 0');
  t.equal(cues.at(-1)!.end, index.durationSeconds, 'the last cue ends at the duration');
  t.ok(cues.every((cue, n) => cue.end > cue.start && (n === 0 || cue.start === cues[n - 1]!.end)), 'each cue starts where the one before ended');
  const sheets = new Map(index.sheets.map((sheet) => [sheet.file, sheet]));
  t.ok(
    cues.every((cue) => {
      const sheet = sheets.get(cue.file);
      return sheet !== undefined && cue.x + cue.w <= sheet.width && cue.y + cue.h <= sheet.height;
    }),
    'every tile lies inside its sheet',
  );
}

t.test('storyboard plan: an interval from the duration (at most about 100 tiles) or the one set', async (t) => {
  t.equal(storyboardInterval(60, undefined), 1);
  t.equal(storyboardInterval(600, undefined), 10);
  t.equal(storyboardInterval(7200, undefined), 120);
  t.equal(storyboardInterval(45, 3), 3, 'the tenant’s interval');
  for (const duration of [0.8, 7.3, 61, 600, 3599.5, 7200]) {
    const plan = planStoryboard(duration, display, storyboardSettingsSchema.parse({}));
    t.ok(plan.tiles.length <= AUTO_MAX_TILES, `${duration} s: ${plan.tiles.length} tiles`);
    const index = storyboardIndex(plan, 'jpeg');
    checkCues(t, parseVtt(storyboardVtt(index)), index);
    const latest = Math.max(0, duration - 0.5);
    t.ok(plan.tiles.every((tile) => tile.grabSeconds < tile.end && (tile.grabSeconds >= tile.start || tile.grabSeconds === latest)), `${duration} s: grabs inside their cues, or as late as a seek may go`);
  }
});

t.test('preview segment: from the chosen frame, moved back to fit before the end, never over 6 s', async (t) => {
  t.same(previewSegment(10, 100, 3), { startSeconds: 10, seconds: 3 });
  t.same(previewSegment(9, 10, 3), { startSeconds: 7, seconds: 3 });
  t.same(previewSegment(1, 2, 6), { startSeconds: 0, seconds: 2 });
  t.same(previewSegment(0, undefined, 60), { startSeconds: 0, seconds: PREVIEW_LIMITS.seconds });
  t.throws(() => previewSettingsSchema.parse({ seconds: 7 }), 'the settings refuse more than 6 s');
  t.throws(() => previewSettingsSchema.parse({ width: 481 }));
  t.throws(() => previewSettingsSchema.parse({ fps: 16 }));
});

/** One tile of a sheet as its own image (ffmpeg's crop). */
function crop(sheet: Buffer, cue: Cue): Buffer {
  const run = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-vf', `crop=${cue.w}:${cue.h}:${cue.x}:${cue.y}`, '-f', 'image2pipe', '-c:v', 'png', 'pipe:1'], {
    input: sheet,
  });
  if (run.status !== 0) throw new Error(`crop failed: ${run.stderr.toString()}`);
  return run.stdout;
}

/** An animated WebP's canvas (VP8X) and frame count (ANMF chunks). */
function animatedWebp(bytes: Buffer): { width: number; height: number; frames: number } {
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 16) !== 'WEBPVP8X') throw new Error('not an extended WebP');
  let frames = 0;
  for (let offset = 12; offset + 8 <= bytes.length; offset += 8 + bytes.readUInt32LE(offset + 4) + (bytes.readUInt32LE(offset + 4) % 2)) {
    if (bytes.toString('latin1', offset, offset + 4) === 'ANMF') frames++;
  }
  return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3), frames };
}

t.test('on a real video', async (t) => {
  const dir = await tempDir(t);
  const path = await makeVideo(dir, { name: 'forty.mp4', seconds: 40, gop: 25 });
  const settings = thumbnailSettingsSchema.parse({ widths: [320], storyboard: { columns: 5 }, preview: { seconds: 3, fps: 10, width: 240 } });
  const render = await renderThumbnails(path, settings);
  t.same(render.skipped, []);

  t.test('storyboard: sheets of 5 columns, cues that cover the video, tiles that hold frames', async (t) => {
    const { index, vtt, sheets } = render.storyboard!;
    t.equal(index.intervalSeconds, 1, 'a tile a second for 40 s');
    t.equal(index.cues.length, 40);
    t.same([index.tileWidth, index.tileHeight], [160, 90]);
    t.equal(sheets.length, 1, 'forty tiles fit one sheet of 5 × 10');
    t.same(await imageInfo(sheets[0]!), { codec: 'mjpeg', width: 5 * 160, height: 8 * 90 });
    t.same([index.sheets[0]!.width, index.sheets[0]!.height], [800, 720], 'the index says the same');
    const cues = parseVtt(vtt);
    checkCues(t, cues, index);
    for (const cue of [cues[0]!, cues[17]!, cues.at(-1)!]) t.ok((await pixelVariance(crop(sheets[0]!, cue))) > 100, `the tile of ${cue.start} s holds a frame`);
  });

  t.test('preview: an animated WebP of the segment from the chosen frame, within its limits', async (t) => {
    const preview = render.preview!;
    t.equal(preview.startSeconds, render.frame.atSeconds);
    t.same([preview.seconds, preview.fps, preview.width, preview.height], [3, 10, 240, 136]);
    const webp = animatedWebp(preview.bytes);
    t.same([webp.width, webp.height], [240, 136]);
    t.ok(webp.frames >= 29 && webp.frames <= 31, `${webp.frames} frames for 3 s at 10 fps`);
    t.ok(preview.bytes.length <= MAX_PREVIEW_BYTES, `${preview.bytes.length} bytes`);
  });

  t.test('a storyboard needs a duration; off by default', async (t) => {
    const plain = await renderThumbnails(path, thumbnailSettingsSchema.parse({ widths: [160] }));
    t.equal(plain.storyboard, undefined);
    t.equal(plain.preview, undefined);
  });
});

t.test('storyboards keep the display shape of a webm, a portrait and an anamorphic video, each tile a frame', async (t) => {
  const dir = await tempDir(t);
  const videos = [
    { name: 'clip.webm', spec: { codec: 'vp9' as const }, aspect: 180 / 320 },
    { name: 'portrait.mp4', spec: { rotate: 90 as const }, aspect: 320 / 180 },
    { name: 'anamorphic.mp4', spec: { sar: '4/3' }, aspect: 180 / ((320 * 4) / 3) },
  ];
  for (const video of videos) {
    const path = await makeVideo(dir, { name: video.name, seconds: 6, ...video.spec });
    const render = await renderThumbnails(path, thumbnailSettingsSchema.parse({ widths: [160], storyboard: { intervalSeconds: 2 } }));
    const { index, sheets } = render.storyboard!;
    t.equal(index.cues.length, 3, `${video.name}: a tile every 2 s`);
    t.ok(Math.abs(index.tileHeight / index.tileWidth - video.aspect) < 0.02, `${video.name}: tiles of ${index.tileWidth}×${index.tileHeight} keep the display aspect`);
    const cues = parseVtt(render.storyboard!.vtt);
    checkCues(t, cues, index);
    for (const cue of cues) t.ok((await pixelVariance(crop(sheets[0]!, cue))) > 100, `${video.name}: the tile of ${cue.start} s holds a frame`);
  }
});

t.test('AVIF stills and storyboard sheets', async (t) => {
  const path = await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 4 });
  const render = await renderThumbnails(path, thumbnailSettingsSchema.parse({ widths: [160, 320], format: 'avif', at: 1, storyboard: { intervalSeconds: 1, tileWidth: 80 } }));
  t.same(await imageInfo(render.stills[0]!.bytes), { codec: 'av1', width: 160, height: 90 });
  t.same(await imageInfo(render.poster.bytes), { codec: 'av1', width: 320, height: 180 });
  t.ok((await imageStats(render.poster.bytes)).meanLuma > 80, 'a lit frame');
  t.same(await imageInfo(render.storyboard!.sheets[0]!), { codec: 'av1', width: 4 * 80, height: 46 });
  t.match(render.storyboard!.vtt, /storyboard-0\.avif#xywh=0,0,80,46/);
});
