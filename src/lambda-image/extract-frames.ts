// Encodes one frame of a video at several sizes in a single ffmpeg run: input seeking (`-ss` before
// `-i`, so only the bytes around that point are read), one split, one scale per size, one pipe per
// image. It never writes to disk and never upscales (the sizes come in already capped).
import type { ThumbnailFormat } from '../domain/video-layout.js';
import { ffmpegPath, inputOptions } from './input-options.js';
import type { PixelSize } from './thumbnail-size.js';
import { runTool } from './tool-process.js';

const ENCODER: Record<ThumbnailFormat, string[]> = {
  jpeg: ['-c:v', 'mjpeg', '-q:v', '3'],
  webp: ['-c:v', 'libwebp', '-quality', '80'],
};

/** Returns one encoded image per size, in order; an empty buffer where no frame was decoded. */
export async function extractFrames(
  input: string,
  atSeconds: number,
  sizes: PixelSize[],
  format: ThumbnailFormat,
  timeoutMs: number,
): Promise<Buffer[]> {
  const labels = sizes.map((_, index) => `s${index}`);
  // ffmpeg rotates by the display matrix before the graph (autorotate is on by default), so the
  // graph sees the video as it is shown.
  const graph = [
    `[0:v:0]split=${sizes.length}${labels.map((label) => `[${label}]`).join('')}`,
    ...sizes.map(({ width, height }, index) => `[s${index}]scale=${width}:${height},setsar=1[o${index}]`),
  ].join(';');
  const outputs = sizes.flatMap((_, index) => ['-map', `[o${index}]`, '-frames:v', '1', ...ENCODER[format], '-f', 'image2pipe', `pipe:${3 + index}`]);
  const run = await runTool(
    ffmpegPath(),
    ['-hide_banner', '-nostdin', '-loglevel', 'error', ...inputOptions(input), '-ss', String(atSeconds), '-i', input, '-filter_complex', graph, ...outputs],
    { timeoutMs, extraPipes: sizes.length },
  );
  return run.pipes;
}
