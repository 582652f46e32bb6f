// The thumbnail core: an input URL (a presigned GET, or a file path) and the tenant's settings in,
// one image per width out. It knows nothing of S3 or Lambda, and every failure leaves as a typed error.
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { ThumbnailFormat } from '../domain/video-layout.js';
import { extractFrames } from './extract-frames.js';
import { frameTime } from './frame-position.js';
import { withoutInput } from './input-options.js';
import { NoVideoStream, probeVideo } from './probe-video.js';
import { SourceUnreadable, ThumbnailTimedOut, VideoUndecodable } from './thumbnail-errors.js';
import { thumbnailSize } from './thumbnail-size.js';
import { ToolFailed, ToolTimedOut } from './tool-process.js';

export const DEFAULT_RENDER_TIMEOUT_MS = 60_000;

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

// What ffmpeg says when the bytes could not be fetched, as opposed to fetched and not understood.
const READ_FAILURE = /Server returned|Connection refused|Connection timed out|Failed to resolve|Network is unreachable|Input\/output error|HTTP error/i;

function reasonOf(stderr: string, input: string): string {
  const lines = withoutInput(stderr, input)
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]*\]\s*/, '').replace(/^video:\s*/, '').trim())
    .filter(Boolean);
  return [...new Set(lines)].slice(-2).join('; ').slice(0, 300) || 'ffmpeg failed without a message';
}

function typed(error: unknown, input: string, step: string): Error {
  if (error instanceof ToolTimedOut) return new ThumbnailTimedOut(`${step} did not finish within ${Math.round(error.timeoutMs / 100) / 10} s`);
  if (error instanceof NoVideoStream) return new VideoUndecodable(error.message);
  if (error instanceof ToolFailed) {
    const reason = reasonOf(error.stderr, input);
    return READ_FAILURE.test(error.stderr) ? new SourceUnreadable(reason) : new VideoUndecodable(reason);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export async function renderThumbnails(input: string, settings: ThumbnailSettings, opts: { timeoutMs?: number } = {}): Promise<Thumbnail[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_RENDER_TIMEOUT_MS);
  const remaining = () => Math.max(1, deadline - Date.now());
  const probe = await probeVideo(input, remaining()).catch((error: unknown) => {
    throw typed(error, input, 'ffprobe');
  });
  const sizes = settings.widths.map((width) => thumbnailSize(width, probe.display));
  const extract = (atSeconds: number) =>
    extractFrames(input, atSeconds, sizes, settings.format, remaining()).catch((error: unknown) => {
      throw typed(error, input, 'ffmpeg');
    });
  let atSeconds = frameTime(settings.at, probe.durationSeconds);
  let images = await extract(atSeconds);
  // A seek can land after the last decodable frame (a duration that overstates the stream):
  // the first frame is then the thumbnail.
  if (images.some((image) => image.length === 0) && atSeconds > 0) {
    atSeconds = 0;
    images = await extract(atSeconds);
  }
  if (images.some((image) => image.length === 0)) throw new VideoUndecodable('no frame could be decoded');
  return images.map((bytes, index) => ({
    requestedWidth: settings.widths[index]!,
    ...sizes[index]!,
    format: settings.format,
    atSeconds,
    bytes,
  }));
}
