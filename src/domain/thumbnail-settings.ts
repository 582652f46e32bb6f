// A tenant's thumbnail settings and their defaults, defined once: the API validates them,
// the stacks pass them to the function, the thumbnailer reads them back from its environment.
// Never default a setting anywhere else: a second default would drift from this one.
import { z } from 'zod';
import { THUMBNAIL_FORMATS } from './video-layout.js';

export const MAX_WIDTH = 3840;
export const MIN_WIDTH = 16;
/** The animated preview's hard limits: longer, wider or smoother previews are not offered. */
export const PREVIEW_LIMITS = { seconds: 6, width: 480, fps: 15 } as const;

/**
 * Where the frame is taken: "auto" (the best frame near 10%, skipping black, fading and blurred
 * frames), or exactly there: seconds (a number) or a share of the duration ("10%").
 */
export const frameAtSchema = z.union([
  z.literal('auto'),
  z.number().min(0).max(86_400),
  z.string().regex(/^(100|[1-9]?\d)(\.\d+)?%$/, 'a percentage such as "10%"'),
]);

export type FrameAt = z.infer<typeof frameAtSchema>;

/** `at` as text (an environment variable, object metadata, a form field) → its value; throws a ZodError if invalid. */
export function parseFrameAt(text: string): FrameAt {
  const trimmed = text.trim();
  const numeric = /^\d+(\.\d+)?$/.test(trimmed);
  return frameAtSchema.parse(numeric ? Number(trimmed) : trimmed);
}

/** Present means on. Without `intervalSeconds` the interval is chosen from the duration. */
export const storyboardSettingsSchema = z
  .object({
    intervalSeconds: z.number().min(0.5).max(3600).optional(),
    tileWidth: z.number().int().min(32).max(480).default(160),
    columns: z.number().int().min(1).max(20).default(10),
  })
  .strict();

/** Present means on: an animated WebP of the segment that starts at the chosen frame. */
export const previewSettingsSchema = z
  .object({
    seconds: z.number().min(0.5).max(PREVIEW_LIMITS.seconds).default(3),
    width: z.number().int().min(MIN_WIDTH).max(PREVIEW_LIMITS.width).default(320),
    fps: z.number().int().min(1).max(PREVIEW_LIMITS.fps).default(10),
  })
  .strict();

export const thumbnailSettingsSchema = z
  .object({
    widths: z
      .array(z.number().int().min(MIN_WIDTH).max(MAX_WIDTH))
      .min(1)
      .max(8)
      .refine((widths) => new Set(widths).size === widths.length, 'widths must be distinct')
      // The refinement above, said in the JSON Schema the API document shows.
      .meta({ uniqueItems: true })
      .default([320, 640]),
    format: z.enum(THUMBNAIL_FORMATS).default('jpeg'),
    at: frameAtSchema.default('auto'),
    storyboard: storyboardSettingsSchema.optional(),
    preview: previewSettingsSchema.optional(),
  })
  .strict();

export type ThumbnailSettings = z.output<typeof thumbnailSettingsSchema>;
export type StoryboardSettings = z.output<typeof storyboardSettingsSchema>;
export type PreviewSettings = z.output<typeof previewSettingsSchema>;

export const DEFAULT_THUMBNAIL_SETTINGS: ThumbnailSettings = thumbnailSettingsSchema.parse({});

/** Serialised for the function's environment, where only strings travel (storyboard and preview as JSON, absent when off). */
export function settingsToEnv(settings: ThumbnailSettings): Record<string, string> {
  return {
    THUMBNAIL_WIDTHS: settings.widths.join(','),
    THUMBNAIL_FORMAT: settings.format,
    THUMBNAIL_AT: String(settings.at),
    ...(settings.storyboard ? { THUMBNAIL_STORYBOARD: JSON.stringify(settings.storyboard) } : {}),
    ...(settings.preview ? { THUMBNAIL_PREVIEW: JSON.stringify(settings.preview) } : {}),
  };
}

export function settingsFromEnv(env: Record<string, string | undefined>): ThumbnailSettings {
  const json = (value: string | undefined): unknown => (value === undefined ? undefined : JSON.parse(value));
  return thumbnailSettingsSchema.parse({
    widths: env.THUMBNAIL_WIDTHS?.split(',').map(Number),
    format: env.THUMBNAIL_FORMAT,
    at: env.THUMBNAIL_AT === undefined ? undefined : parseFrameAt(env.THUMBNAIL_AT),
    storyboard: json(env.THUMBNAIL_STORYBOARD),
    preview: json(env.THUMBNAIL_PREVIEW),
  });
}
