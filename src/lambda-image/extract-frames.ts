// Encodes one frame of a video at several sizes in a single ffmpeg run: input seeking (`-ss` before
// `-i`, so only the bytes around that point are read), one split, the display filters per size, one
// file per image in a scratch directory. It never upscales (the sizes come in already capped).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ThumbnailFormat } from '../domain/video-layout.js';
import { displayFilters } from './display-filters.js';
import { stillImageOutput } from './image-encoders.js';
import { withScratchDir } from './scratch-dir.js';
import type { PixelSize } from './thumbnail-size.js';
import type { VideoSource } from './video-source.js';

/** Returns one encoded image per size, in order; an empty buffer where no frame was decoded. */
export function extractFrames(source: VideoSource, atSeconds: number, sizes: PixelSize[], format: ThumbnailFormat): Promise<Buffer[]> {
  return withScratchDir(async (dir) => {
    const paths = sizes.map((_, index) => join(dir, `still-${index}`));
    const graph = [
      `[0:v:0]split=${sizes.length}${sizes.map((_, index) => `[s${index}]`).join('')}`,
      ...sizes.map((size, index) => `[s${index}]${displayFilters(source.probe, size).join(',')}[o${index}]`),
    ].join(';');
    const outputs = paths.flatMap((path, index) => ['-map', `[o${index}]`, ...stillImageOutput(format, path)]);
    await source.ffmpeg('ffmpeg', [...source.inputOptions, '-ss', String(atSeconds), '-i', source.input, '-filter_complex', graph, ...outputs]);
    return Promise.all(paths.map((path) => readFile(path).catch(() => Buffer.alloc(0))));
  });
}
