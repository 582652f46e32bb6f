// Makes the animated preview: an animated WebP of the segment that starts at the chosen frame, read
// by input seeking (one short ffmpeg run). It never exceeds the preview limits or MAX_PREVIEW_BYTES:
// an oversized result is re-encoded at a lower quality, and still too large it is refused.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PREVIEW_LIMITS, type PreviewSettings } from '../domain/thumbnail-settings.js';
import { displayFilters } from './display-filters.js';
import { latestSeek } from './frame-position.js';
import { withScratchDir } from './scratch-dir.js';
import { VideoUndecodable } from './thumbnail-errors.js';
import { thumbnailSize, type PixelSize } from './thumbnail-size.js';
import type { VideoSource } from './video-source.js';

/** A preview is a hover effect, not a video: past this size it is not worth its download. */
export const MAX_PREVIEW_BYTES = 1024 * 1024;
/** WebP qualities tried in order until the preview fits MAX_PREVIEW_BYTES. */
const QUALITIES = [60, 30];

export type AnimatedPreview = PixelSize & { startSeconds: number; seconds: number; fps: number; bytes: Buffer };

/** The segment: `seconds` long from the chosen frame, moved earlier when the video ends before that. */
export function previewSegment(atSeconds: number, durationSeconds: number | undefined, seconds: number): { startSeconds: number; seconds: number } {
  const wanted = Math.min(seconds, PREVIEW_LIMITS.seconds);
  if (durationSeconds === undefined) return { startSeconds: atSeconds, seconds: wanted };
  const length = Math.min(wanted, durationSeconds);
  const startSeconds = Math.max(0, Math.min(atSeconds, latestSeek(durationSeconds), durationSeconds - length));
  return { startSeconds: Math.round(startSeconds * 1000) / 1000, seconds: length };
}

export async function renderPreview(source: VideoSource, atSeconds: number, settings: PreviewSettings): Promise<AnimatedPreview> {
  const size = thumbnailSize(Math.min(settings.width, PREVIEW_LIMITS.width), source.probe.display);
  const fps = Math.min(settings.fps, PREVIEW_LIMITS.fps);
  const segment = previewSegment(atSeconds, source.probe.durationSeconds, settings.seconds);
  const filters = [`fps=${fps}`, ...displayFilters(source.probe, size)].join(',');
  return withScratchDir(async (dir) => {
    const path = join(dir, 'preview.webp');
    for (const quality of QUALITIES) {
      await source.ffmpeg('preview', [
        ...source.inputOptions,
        '-ss',
        String(segment.startSeconds),
        '-t',
        String(segment.seconds),
        '-i',
        source.input,
        '-map',
        '0:v:0',
        '-vf',
        filters,
        '-c:v',
        'libwebp_anim',
        '-loop',
        '0',
        '-quality',
        String(quality),
        '-pix_fmt',
        'yuv420p',
        '-f',
        'webp',
        '-y',
        path,
      ]);
      const bytes = await readFile(path);
      if (bytes.length === 0) throw new VideoUndecodable(`no frame could be decoded for the preview at ${segment.startSeconds} s`);
      if (bytes.length <= MAX_PREVIEW_BYTES) return { ...size, ...segment, fps, bytes };
    }
    throw new VideoUndecodable(`the preview stays over ${MAX_PREVIEW_BYTES} bytes even at quality ${QUALITIES.at(-1)}`);
  });
}
