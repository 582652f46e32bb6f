// A tenant's thumbnail settings and their defaults, defined once: the API validates them,
// the stacks pass them to the function, the thumbnailer reads them back from its environment.
// Never default a setting anywhere else: a second default would drift from this one.
import { z } from 'zod';
import type { ThumbnailFormat } from './video-layout.js';

export const MAX_WIDTH = 3840;
export const MIN_WIDTH = 16;

/** `at` is seconds (a number) or a share of the duration ("10%"). */
export const frameAtSchema = z.union([
  z.number().min(0).max(86_400),
  z.string().regex(/^(100|[1-9]?\d)(\.\d+)?%$/, 'a percentage such as "10%"'),
]);

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
    format: z.enum(['jpeg', 'webp']).default('jpeg'),
    at: frameAtSchema.default('10%'),
  })
  .strict();

export type ThumbnailSettings = {
  widths: number[];
  format: ThumbnailFormat;
  at: number | string;
};

export const DEFAULT_THUMBNAIL_SETTINGS: ThumbnailSettings = thumbnailSettingsSchema.parse({});

/** Serialised for the function's environment, where only strings travel. */
export function settingsToEnv(settings: ThumbnailSettings): Record<string, string> {
  return {
    THUMBNAIL_WIDTHS: settings.widths.join(','),
    THUMBNAIL_FORMAT: settings.format,
    THUMBNAIL_AT: String(settings.at),
  };
}

export function settingsFromEnv(env: Record<string, string | undefined>): ThumbnailSettings {
  const at = env.THUMBNAIL_AT;
  return thumbnailSettingsSchema.parse({
    widths: env.THUMBNAIL_WIDTHS?.split(',').map(Number),
    format: env.THUMBNAIL_FORMAT,
    at: at === undefined ? undefined : at.endsWith('%') ? at : Number(at),
  });
}
