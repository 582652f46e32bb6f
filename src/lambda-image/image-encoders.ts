// How each thumbnail format is encoded as one still image file: jpeg, webp or avif (AV1, libaom).
// Stills and storyboard sheets both use this table; nothing else picks an encoder for an image.
import type { ThumbnailFormat } from '../domain/video-layout.js';

const ENCODERS: Record<ThumbnailFormat, { codec: string[]; muxer: string }> = {
  jpeg: { codec: ['-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p'], muxer: 'mjpeg' },
  webp: { codec: ['-c:v', 'libwebp', '-quality', '80', '-pix_fmt', 'yuv420p'], muxer: 'webp' },
  // An AV1 still picture; the avif muxer needs a seekable output, so it is always a file.
  avif: { codec: ['-c:v', 'libaom-av1', '-still-picture', '1', '-crf', '30', '-b:v', '0', '-cpu-used', '6', '-row-mt', '1', '-pix_fmt', 'yuv420p'], muxer: 'avif' },
};

/** The output options that write the current output's first frame to `path` as one image. */
export function stillImageOutput(format: ThumbnailFormat, path: string): string[] {
  const { codec, muxer } = ENCODERS[format];
  return ['-frames:v', '1', ...codec, '-f', muxer, '-y', path];
}
