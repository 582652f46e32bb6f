// The thumbnail core: an input URL (a presigned GET, or a file path) and the settings in; the chosen
// frame at every width, and the storyboard and animated preview when the settings ask, out. It knows
// nothing of S3 or Lambda, and every failure leaves as a typed error.
import type { FrameAt, ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { StoryboardIndex, ThumbnailFormat, ThumbnailMeta } from '../domain/video-layout.js';
import { renderPreview, type AnimatedPreview } from './animated-preview.js';
import { extractFrames } from './extract-frames.js';
import { pickFrame, type ChosenFrame } from './pick-frame.js';
import { isStoryboardOf } from './storyboard-plan.js';
import { renderStoryboard, type Storyboard } from './storyboard-sheets.js';
import { isFinalThumbnailError, VideoUndecodable } from './thumbnail-errors.js';
import { thumbnailSize } from './thumbnail-size.js';
import { openVideoSource, type VideoSource } from './video-source.js';

export { DEFAULT_RENDER_TIMEOUT_MS } from './video-source.js';

export type Thumbnail = {
  /** The width the settings asked for: it names the output key. */
  requestedWidth: number;
  /** The image's real size (smaller than requested when the source is narrower). */
  width: number;
  height: number;
  format: ThumbnailFormat;
  /** The second of the video the frame was taken at. */
  atSeconds: number;
  bytes: Buffer;
};

/** The video as probed, in the terms meta.json uses. */
export type VideoFacts = Pick<ThumbnailMeta, 'durationSeconds' | 'width' | 'height' | 'codec' | 'rotation' | 'hdr'>;

export type ThumbnailRender = {
  video: VideoFacts;
  frame: ChosenFrame;
  /** One per width, in the settings' order. */
  stills: Thumbnail[];
  /** The still at the largest width. */
  poster: Thumbnail;
  /** The storyboard this run made (its sheets to write). */
  storyboard: Storyboard | undefined;
  /** Instead of one made: the stored storyboard it was handed, kept because it is what the settings make. */
  keptStoryboard?: StoryboardIndex;
  preview: AnimatedPreview | undefined;
  /** Outputs the settings asked for that this video cannot have, with why. */
  skipped: ThumbnailMeta['skipped'];
};

export type RenderOptions = {
  timeoutMs?: number;
  /** Overrides `settings.at` for this one video (an upload's or a regeneration's own choice). */
  at?: FrameAt;
  /** The video's storyboard.json from an earlier run, when a run re-extracts the stills: kept if it is what the settings make. */
  storedStoryboard?: unknown;
  /** false: ffmpeg reads a remote video itself, without the range cache (the thumbnail bench's baseline). */
  rangeCache?: boolean;
};

async function renderStills(source: VideoSource, frame: ChosenFrame, settings: ThumbnailSettings): Promise<Thumbnail[]> {
  const sizes = settings.widths.map((width) => thumbnailSize(width, source.probe.display));
  let { atSeconds } = frame;
  let images = await extractFrames(source, atSeconds, sizes, settings.format);
  // A seek can land after the last decodable frame (a duration that overstates the stream):
  // the first frame is then the thumbnail.
  if (images.some((image) => image.length === 0) && atSeconds > 0) {
    atSeconds = 0;
    images = await extractFrames(source, atSeconds, sizes, settings.format);
  }
  if (images.some((image) => image.length === 0)) throw new VideoUndecodable('no frame could be decoded');
  return images.map((bytes, index) => ({ requestedWidth: settings.widths[index]!, ...sizes[index]!, format: settings.format, atSeconds, bytes }));
}

/**
 * An optional output that this video cannot have, or that ran out of time, is skipped with its reason:
 * the stills are made already and still get written. A source that became unreadable fails the run.
 */
async function optional<T>(output: ThumbnailMeta['skipped'][number]['output'], skipped: ThumbnailMeta['skipped'], work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (!isFinalThumbnailError(error)) throw error;
    skipped.push({ output, reason: error.reason });
    return undefined;
  }
}

export async function renderThumbnails(input: string, settings: ThumbnailSettings, opts: RenderOptions = {}): Promise<ThumbnailRender> {
  const source = await openVideoSource(input, opts.timeoutMs, { rangeCache: opts.rangeCache });
  try {
    return await renderFrom(source, settings, opts);
  } finally {
    await source.close();
  }
}

async function renderFrom(source: VideoSource, settings: ThumbnailSettings, opts: RenderOptions): Promise<ThumbnailRender> {
  const { probe } = source;
  const chosen = await pickFrame(source, opts.at ?? settings.at);
  const stills = await renderStills(source, chosen, settings);
  // The stills may have fallen back to the first frame: everything else follows them.
  const frame = { ...chosen, atSeconds: stills[0]!.atSeconds };
  const poster = stills.reduce((largest, still) => (still.width > largest.width ? still : largest));
  const skipped: ThumbnailMeta['skipped'] = [];

  const { storyboard: storyboardSettings, preview: previewSettings } = settings;
  const { durationSeconds } = probe;
  let storyboard: Storyboard | undefined;
  let keptStoryboard: StoryboardIndex | undefined;
  if (storyboardSettings && durationSeconds === undefined) skipped.push({ output: 'storyboard', reason: 'the video does not say how long it is' });
  else if (storyboardSettings && durationSeconds !== undefined) {
    const { storedStoryboard } = opts;
    if (isStoryboardOf(storedStoryboard, durationSeconds, probe.display, storyboardSettings, settings.format)) keptStoryboard = storedStoryboard;
    else storyboard = await optional('storyboard', skipped, () => renderStoryboard(source, durationSeconds, storyboardSettings, settings.format));
  }
  const preview = previewSettings ? await optional('preview', skipped, () => renderPreview(source, frame.atSeconds, previewSettings)) : undefined;

  return {
    video: {
      durationSeconds: probe.durationSeconds ?? null,
      ...probe.display,
      codec: probe.codec,
      rotation: probe.rotation,
      hdr: probe.hdr ?? null,
    },
    frame,
    stills,
    poster,
    storyboard,
    ...(keptStoryboard && { keptStoryboard }),
    preview,
    skipped,
  };
}
