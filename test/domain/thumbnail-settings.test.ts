// The thumbnail settings schema: its defaults ("auto", jpeg, 320 and 640, no storyboard or preview),
// `at` read from text the way the environment, object metadata and form fields carry it, the
// preview's hard limits, and a round trip through the function's environment.
import t from 'tap';
import { ZodError } from 'zod';
import { DEFAULT_THUMBNAIL_SETTINGS, parseFrameAt, PREVIEW_LIMITS, settingsFromEnv, settingsToEnv, thumbnailSettingsSchema } from '../../src/domain/thumbnail-settings.js';

t.test('defaults: "auto" at 320 and 640 as JPEG, storyboard and preview off', async (t) => {
  t.same(DEFAULT_THUMBNAIL_SETTINGS, { widths: [320, 640], format: 'jpeg', at: 'auto' });
  t.same(thumbnailSettingsSchema.parse({ storyboard: {}, preview: {} }), {
    ...DEFAULT_THUMBNAIL_SETTINGS,
    storyboard: { tileWidth: 160, columns: 10 },
    preview: { seconds: 3, width: 320, fps: 10 },
  }, 'present means on, with their own defaults');
  t.equal(thumbnailSettingsSchema.parse({ format: 'avif' }).format, 'avif');
});

t.test('parseFrameAt: "auto", seconds or "N%" from text; anything else is refused', async (t) => {
  t.equal(parseFrameAt('auto'), 'auto');
  t.equal(parseFrameAt(' 2.5 '), 2.5);
  t.equal(parseFrameAt('10%'), '10%');
  for (const bad of ['later', '-1', '101%', '', '5s']) t.throws(() => parseFrameAt(bad), ZodError, `"${bad}"`);
});

t.test('the preview never goes past 6 s, 480 px or 15 fps', async (t) => {
  t.same(PREVIEW_LIMITS, { seconds: 6, width: 480, fps: 15 });
  t.throws(() => thumbnailSettingsSchema.parse({ preview: { seconds: 6.5 } }));
  t.throws(() => thumbnailSettingsSchema.parse({ preview: { width: 640 } }));
  t.throws(() => thumbnailSettingsSchema.parse({ preview: { fps: 30 } }));
  t.throws(() => thumbnailSettingsSchema.parse({ storyboard: { columns: 0 } }));
});

t.test('settings survive the function environment, where only strings travel', async (t) => {
  for (const settings of [
    DEFAULT_THUMBNAIL_SETTINGS,
    thumbnailSettingsSchema.parse({ widths: [200], format: 'webp', at: 4.5 }),
    thumbnailSettingsSchema.parse({ format: 'avif', at: '25%', storyboard: { intervalSeconds: 2 }, preview: { seconds: 6, width: 480, fps: 15 } }),
  ]) {
    t.same(settingsFromEnv(settingsToEnv(settings)), settings);
  }
  t.notOk('THUMBNAIL_STORYBOARD' in settingsToEnv(DEFAULT_THUMBNAIL_SETTINGS), 'off means absent');
});
