// The stills as a viewer sees them, on the videos users complain about, each made here by lavfi:
// a fade-in from black, a black first second and a blurred start ("auto" looks past them), anamorphic,
// portrait and rotated (shape kept), HDR PQ and HLG (look like their SDR rendering), 10-bit and variable frame rate.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { thumbnailSettingsSchema, type ThumbnailSettings } from '../../src/domain/thumbnail-settings.js';
import { autoWindows } from '../../src/lambda-image/frame-position.js';
import { bestFrame, scoreFrames, type FrameStats } from '../../src/lambda-image/frame-score.js';
import { describeProbe } from '../../src/lambda-image/probe-video.js';
import { renderThumbnails } from '../../src/lambda-image/thumbnail-core.js';
import { tempDir } from '../helpers/local-store.js';
import { imageInfo, imageStats, makeVideo, pixelVariance } from '../helpers/videos.js';

/** The defaults a new tenant gets: "auto", jpeg, 320 and 640. */
const defaults: ThumbnailSettings = thumbnailSettingsSchema.parse({});
const at = (value: ThumbnailSettings['at']): ThumbnailSettings => ({ ...defaults, at: value });
/** testsrc2 averages about 120; black is 16. */
const LIT = 80;

t.test('autoWindows: a short window around 10%, then a wider one, the same length whatever the duration', async (t) => {
  t.same(autoWindows(100), [{ startSeconds: 9, seconds: 2 }, { startSeconds: 8, seconds: 8 }]);
  t.same(autoWindows(6000), [{ startSeconds: 599, seconds: 2 }, { startSeconds: 598, seconds: 8 }]);
  t.same(autoWindows(2), [{ startSeconds: 0, seconds: 1.5 }], 'a short clip is scored once, whole');
  t.same(autoWindows(undefined), [{ startSeconds: 0, seconds: 2 }, { startSeconds: 0, seconds: 8 }], 'no duration: from the start');
});

t.test('scoreFrames: black, flat, blurred and fading frames are faults; the best faultless one wins', async (t) => {
  const frame = (seconds: number, over: Partial<FrameStats> = {}): FrameStats => ({ seconds, yLow: 40, yAvg: 120, yHigh: 200, blur: 5, ...over });
  const scored = scoreFrames([
    frame(0, { yLow: 16, yAvg: 16, yHigh: 16, blur: Number.NaN }),
    frame(0.25, { yAvg: 60 }),
    frame(0.5, { blur: 20 }),
    frame(0.75),
    frame(1),
  ]);
  t.same(scored[0]!.faults, ['black', 'flat', 'blurred', 'fading']);
  t.ok(scored[1]!.faults.includes('fading'));
  t.ok(scored[2]!.faults.includes('blurred'));
  t.same(scored[4]!.faults, []);
  t.equal(bestFrame(scored, 1, true)!.seconds, 1, 'equal scores: the one nearest the target');
  t.equal(bestFrame(scored.slice(0, 1), 1, true), undefined, 'no faultless frame');
});

t.test('describeProbe: display size from SAR and rotation, HDR from the transfer, untagged colour as BT.709', async (t) => {
  const probe = (stream: object) => describeProbe({ streams: [{ codec_name: 'h264', width: 1440, height: 1080, ...stream }], format: { duration: '12.5' } });
  t.match(probe({ sample_aspect_ratio: '4:3' }), { display: { width: 1920, height: 1080 }, durationSeconds: 12.5, rotation: 0, hdr: undefined });
  t.match(probe({ sample_aspect_ratio: '4:3', side_data_list: [{ rotation: -90 }] }), { display: { width: 1080, height: 1920 }, rotation: 270 });
  t.match(probe({ sample_aspect_ratio: '0:1' }), { display: { width: 1440, height: 1080 } }, 'an unknown SAR is square');
  t.match(probe({}), { colour: { transfer: 'bt709', primaries: 'bt709', matrix: 'bt709', range: 'tv' }, peakNits: undefined });
  const pq = probe({ color_transfer: 'smpte2084', color_primaries: 'bt2020', color_space: 'bt2020nc', side_data_list: [{ max_content: 4000 }] });
  t.match(pq, { hdr: 'pq', peakNits: 4000, colour: { transfer: 'smpte2084', primaries: 'bt2020', matrix: 'bt2020nc' } });
  t.match(probe({ color_transfer: 'arib-std-b67', side_data_list: [{ max_luminance: '10000000/10000' }] }), { hdr: 'hlg', peakNits: 1000 });
  t.match(probe({ color_transfer: 'smpte2084', color_primaries: 'unknown' }), { colour: { primaries: 'bt2020', matrix: 'bt2020nc' } }, 'untagged HDR is BT.2020');
  t.throws(() => describeProbe({ streams: [] }), 'no video stream');
});

t.test('"auto" on real videos', async (t) => {
  const dir = await tempDir(t);
  const cases = [
    { what: 'a 3 s fade-in from black', name: 'fade.mp4', seconds: 10, filters: ['fade=in:st=0:d=3'], after: 3 },
    // 8 s long, so that 10% (0.8 s) is still black.
    { what: 'a black first second', name: 'black.mp4', seconds: 8, filters: ["drawbox=color=black:t=fill:enable='lt(t,1)'"], after: 1 },
    { what: 'a blurred start, sharp from 5 s', name: 'blurred.mp4', seconds: 10, filters: ["boxblur=10:enable='lt(t,5)'"], after: 5 },
  ];
  for (const c of cases) {
    t.test(c.what, async (t) => {
      const path = await makeVideo(dir, { name: c.name, seconds: c.seconds, filters: c.filters });
      const fixed = await renderThumbnails(path, at('10%'));
      const auto = await renderThumbnails(path, defaults);
      t.ok(auto.frame.atSeconds >= c.after, `chose ${auto.frame.atSeconds} s, past the bad stretch`);
      t.ok(auto.frame.score! > 0, `score ${auto.frame.score}`);
      t.equal(fixed.frame.atSeconds, c.seconds / 10, '"10%" stays exact');
      t.equal(fixed.frame.score, null);
      const [autoStats, fixedStats] = [await imageStats(auto.poster.bytes), await imageStats(fixed.poster.bytes)];
      t.ok(autoStats.meanLuma > LIT, `the auto poster is lit (mean luma ${autoStats.meanLuma})`);
      if (c.name === 'blurred.mp4') {
        const [sharp, soft] = [await pixelVariance(auto.poster.bytes), await pixelVariance(fixed.poster.bytes)];
        t.ok(sharp > soft * 1.1, `the auto poster is sharper than the frame at 10% (variance ${sharp} vs ${soft})`);
      } else {
        t.ok(fixedStats.meanLuma < LIT, `while the frame at 10% is dark (mean luma ${fixedStats.meanLuma})`);
      }
    });
  }
});

t.test('display shape and colour', async (t) => {
  const dir = await tempDir(t);

  t.test('anamorphic: 1440x1080 with 4:3 pixels comes out 16:9', async (t) => {
    const path = await makeVideo(dir, { name: 'anamorphic.mp4', width: 1440, height: 1080, sar: '4/3', seconds: 1 });
    const render = await renderThumbnails(path, defaults);
    t.same([render.video.width, render.video.height], [1920, 1080], 'the display size');
    t.same(await imageInfo(render.stills[0]!.bytes), { codec: 'mjpeg', width: 320, height: 180 });
    t.same(await imageInfo(render.poster.bytes), { codec: 'mjpeg', width: 640, height: 360 });
  });

  t.test('portrait and rotated keep their shape', async (t) => {
    for (const spec of [{ name: 'portrait.mp4', width: 180, height: 320 }, { name: 'rotated.mp4', rotate: 90 as const }]) {
      const render = await renderThumbnails(await makeVideo(dir, { ...spec, seconds: 3 }), defaults);
      t.same([render.video.width, render.video.height], [180, 320], `${spec.name}: display size`);
      t.same(await imageInfo(render.poster.bytes), { codec: 'mjpeg', width: 180, height: 320 }, `${spec.name}: never upscaled, upright`);
      t.ok((await pixelVariance(render.poster.bytes)) > 100);
    }
  });

  t.test('HDR (PQ and HLG) is tone-mapped: it looks like the same picture in SDR, not washed out, not green', async (t) => {
    const sdr = await makeVideo(dir, { name: 'sdr.mp4', seconds: 3 });
    const sdrRender = await renderThumbnails(sdr, at(1));
    t.equal(sdrRender.video.hdr, null);
    const expected = await imageStats(sdrRender.poster.bytes);
    const fixtures = [
      { codec: 'hevc-pq', hdr: 'pq', name: 'pq.mp4' },
      { codec: 'hevc-hlg', hdr: 'hlg', name: 'hlg.mp4' },
      { codec: 'hevc-pq', hdr: 'pq', name: 'pq-transfer-only.mp4', transferTagOnly: true },
    ] as const;
    for (const { codec, hdr, name, ...spec } of fixtures) {
      const path = await makeVideo(dir, { name, seconds: 3, codec, ...spec });
      if ('transferTagOnly' in spec) {
        const tags = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=color_primaries,color_space', '-of', 'csv=p=0', path]).toString().trim();
        t.equal(tags, 'unknown,unknown', 'the fixture has no primaries or matrix (ffmpeg 5.1 zscale fails on such frames unless they are tagged)');
      }
      const render = await renderThumbnails(path, at(1));
      t.equal(render.video.hdr, hdr, name);
      const actual = await imageStats(render.poster.bytes);
      t.ok(Math.abs(actual.meanLuma - expected.meanLuma) < 0.12 * expected.meanLuma, `${name}: mean luma ${actual.meanLuma} vs SDR ${expected.meanLuma}`);
      t.ok(Math.abs(actual.meanSaturation - expected.meanSaturation) < 0.2 * expected.meanSaturation, `${name}: saturation ${actual.meanSaturation} vs SDR ${expected.meanSaturation}`);
      const auto = await renderThumbnails(path, defaults);
      t.ok((await imageStats(auto.poster.bytes)).meanLuma > LIT, `${name}: "auto" scores the tone-mapped frames`);
    }
  });

  t.test('10-bit SDR comes out as its 8-bit rendering', async (t) => {
    const [eight, ten] = await Promise.all([makeVideo(dir, { name: 'eight.mp4' }), makeVideo(dir, { name: 'ten.mp4', codec: 'h264-10bit' })]);
    const [expected, actual] = [(await renderThumbnails(eight, at(1))).poster, (await renderThumbnails(ten, at(1))).poster];
    t.same(await imageInfo(actual.bytes), { codec: 'mjpeg', width: 320, height: 180 });
    const [e, a] = [await imageStats(expected.bytes), await imageStats(actual.bytes)];
    t.ok(Math.abs(a.meanLuma - e.meanLuma) < 3, `mean luma ${a.meanLuma} vs ${e.meanLuma}`);
    t.ok(Math.abs(a.meanSaturation - e.meanSaturation) < 5, `saturation ${a.meanSaturation} vs ${e.meanSaturation}`);
  });

  t.test('variable frame rate: exact seconds stay exact, "auto" finds a frame', async (t) => {
    const path = await makeVideo(dir, { name: 'vfr.mp4', seconds: 6, variableRate: true });
    const exact = await renderThumbnails(path, at(3));
    t.equal(exact.frame.atSeconds, 3);
    t.ok((await pixelVariance(exact.poster.bytes)) > 100);
    const auto = await renderThumbnails(path, defaults);
    t.ok(auto.frame.atSeconds >= 0 && auto.frame.atSeconds < 6);
    t.same(await imageInfo(auto.poster.bytes), { codec: 'mjpeg', width: 320, height: 180 });
    t.ok((await imageStats(auto.poster.bytes)).meanLuma > LIT);
  });
});
