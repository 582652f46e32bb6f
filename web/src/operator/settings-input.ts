// A tenant's thumbnail settings as the settings form shows them, and what was typed as the
// `thumbnail` body the preview and PATCH send. Pure. It checks only what JSON cannot carry (text
// where a number goes); ranges and rules are the API's to judge, and its detail is shown.
import type { ThumbnailSettings } from '../api-types.js';

export type FrameMode = 'auto' | 'seconds' | 'percent';

export type SettingsFields = {
  widths: string;
  format: string;
  frame: FrameMode;
  /** Seconds or a percentage, as typed; unused for `auto`. */
  position: string;
  storyboard: boolean;
  preview: boolean;
};

/** The fields a 400 can be about, named as in the API's validation path. */
export const SETTINGS_FIELDS = ['widths', 'format', 'at'] as const;
export type SettingsField = (typeof SETTINGS_FIELDS)[number];

/** PATCH replaces the settings whole: a setting left out takes its default (widths when empty). */
export type ThumbnailBody = {
  widths?: number[];
  format: string;
  at: ThumbnailSettings['at'];
  storyboard?: Partial<NonNullable<ThumbnailSettings['storyboard']>>;
  preview?: Partial<NonNullable<ThumbnailSettings['preview']>>;
};

export type SettingsInput = { thumbnail: ThumbnailBody } | { field: SettingsField; message: string };

const DECIMAL = /^\d+(\.\d+)?$/;

export const INVALID_WIDTHS = 'Widths must be whole numbers separated by commas, such as "320, 640".';

export function fieldsOf(settings: ThumbnailSettings): SettingsFields {
  const { at } = settings;
  const frame: FrameMode = at === 'auto' ? 'auto' : typeof at === 'number' ? 'seconds' : 'percent';
  return {
    widths: settings.widths.join(', '),
    format: settings.format,
    frame,
    position: frame === 'auto' ? '' : String(at).replace(/%$/, ''),
    storyboard: settings.storyboard !== undefined,
    preview: settings.preview !== undefined,
  };
}

/**
 * The body for what was typed. A storyboard or preview left on keeps the tenant's own options
 * (`current`); one turned on takes the API's defaults.
 */
export function thumbnailOf(fields: SettingsFields, current: ThumbnailSettings): SettingsInput {
  const widths = parseWidths(fields.widths);
  if (widths === 'invalid') return { field: 'widths', message: INVALID_WIDTHS };
  const position = fields.position.trim();
  if (fields.frame !== 'auto' && !DECIMAL.test(position)) {
    return { field: 'at', message: fields.frame === 'seconds' ? 'Enter the time in seconds, such as 12.5.' : 'Enter the share of the video as a number, such as 10.' };
  }
  const at = fields.frame === 'auto' ? 'auto' : fields.frame === 'seconds' ? Number(position) : `${position}%`;
  return {
    thumbnail: {
      ...(widths && { widths }),
      format: fields.format,
      at,
      ...(fields.storyboard && { storyboard: current.storyboard ?? {} }),
      ...(fields.preview && { preview: current.preview ?? {} }),
    },
  };
}

/** "320, 640" → [320, 640]; empty → undefined (the default); anything but whole numbers → 'invalid'. */
export function parseWidths(text: string): number[] | undefined | 'invalid' {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return undefined;
  return parts.every((part) => /^\d+$/.test(part)) ? parts.map(Number) : 'invalid';
}
