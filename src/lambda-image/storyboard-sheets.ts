// Makes a storyboard: one keyframe seek per tile (a short ffmpeg run each, so every connection closes
// as soon as its frame is decoded), then ffmpeg's tile filter lays the frames out into sheets. Its cost
// grows with the number of tiles, never with the file's size.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoryboardSettings } from '../domain/thumbnail-settings.js';
import type { StoryboardIndex, ThumbnailFormat } from '../domain/video-layout.js';
import { displayFilters } from './display-filters.js';
import { stillImageOutput } from './image-encoders.js';
import { withScratchDir } from './scratch-dir.js';
import { planStoryboard, storyboardIndex, storyboardVtt, type StoryboardPlan } from './storyboard-plan.js';
import { VideoUndecodable } from './thumbnail-errors.js';
import type { VideoSource } from './video-source.js';

/** Tiles grabbed at once: the grabs mostly wait on the network. */
const GRAB_CONCURRENCY = 2;

export type Storyboard = { index: StoryboardIndex; vtt: string; sheets: Buffer[] };

/** One raw yuv420p frame at the tile size: the keyframe at or before `seconds`. */
async function grabTile(source: VideoSource, plan: StoryboardPlan, seconds: number): Promise<Buffer> {
  const { width, height } = plan.tile;
  const frame = await source.ffmpeg('storyboard tile', [
    ...source.inputOptions,
    // The probe already said what the stream is: reading and decoding its start again would cost a
    // ranged GET per tile (4 become 3, about an eighth fewer bytes; bench/thumbnail.ts).
    '-nofind_stream_info',
    '-noaccurate_seek',
    '-ss',
    String(seconds),
    '-i',
    source.input,
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-vf',
    displayFilters(source.probe, plan.tile).join(','),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    'pipe:1',
  ]);
  if (frame.length !== (width * height * 3) / 2) throw new VideoUndecodable(`no frame could be decoded at ${seconds} s for the storyboard`);
  return frame;
}

async function grabTiles(source: VideoSource, plan: StoryboardPlan): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.tiles.length) {
      const index = next++;
      frames[index] = await grabTile(source, plan, plan.tiles[index]!.grabSeconds);
    }
  };
  await Promise.all(Array.from({ length: Math.min(GRAB_CONCURRENCY, plan.tiles.length) }, worker));
  return frames;
}

/** The cues need to end somewhere: the caller has the duration (a video without one gets no storyboard). */
export async function renderStoryboard(source: VideoSource, durationSeconds: number, settings: StoryboardSettings, format: ThumbnailFormat): Promise<Storyboard> {
  const plan = planStoryboard(durationSeconds, source.probe.display, settings);
  const frames = await grabTiles(source, plan);
  const { width, height } = plan.tile;
  const sheets = await withScratchDir(async (dir) => {
    const encoded: Buffer[] = [];
    for (const [index, sheet] of plan.sheets.entries()) {
      const path = join(dir, `sheet-${index}`);
      await source.ffmpeg(
        'storyboard sheet',
        // `-r 1`: a sheet takes many input frames, and an encoder's time base must stay under a second (libaom).
        ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-framerate', '1', '-i', 'pipe:0', '-vf', `tile=${sheet.columns}x${sheet.rows}`, '-r', '1', ...stillImageOutput(format, path)],
        Buffer.concat(frames.slice(sheet.first, sheet.first + sheet.count)),
      );
      encoded.push(await readFile(path));
    }
    return encoded;
  });
  const index = storyboardIndex(plan, format);
  return { index, vtt: storyboardVtt(index), sheets };
}
