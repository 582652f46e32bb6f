// Reads a video's duration and display size with ffprobe (headers only, through ranged reads).
// It never decodes frames; anything ffprobe cannot parse is reported, not guessed around.
import { inputOptions, ffprobePath } from './input-options.js';
import type { PixelSize } from './thumbnail-size.js';
import { runTool } from './tool-process.js';

export type VideoProbe = {
  /** Undefined when the container does not say (then the first frame is used). */
  durationSeconds: number | undefined;
  /** The size the video is shown at: rotation and sample aspect ratio applied. */
  display: PixelSize;
};

type ProbeJson = {
  streams?: Array<{
    width?: number;
    height?: number;
    sample_aspect_ratio?: string;
    duration?: string;
    side_data_list?: Array<{ rotation?: number }>;
  }>;
  format?: { duration?: string };
};

/** Thrown when the input parses but holds nothing to take a frame from. */
export class NoVideoStream extends Error {}

const seconds = (value: string | undefined) => {
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : undefined;
};

export async function probeVideo(input: string, timeoutMs: number): Promise<VideoProbe> {
  const run = await runTool(
    ffprobePath(),
    [
      '-v',
      'error',
      ...inputOptions(input),
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height,sample_aspect_ratio,duration:stream_side_data=rotation:format=duration',
      '-of',
      'json',
      input,
    ],
    { timeoutMs },
  );
  const json = JSON.parse(run.stdout.toString()) as ProbeJson;
  const stream = json.streams?.[0];
  if (!stream?.width || !stream.height) throw new NoVideoStream('the file has no video stream');
  const [sarWidth, sarHeight] = (stream.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const sar = sarWidth && sarHeight ? sarWidth / sarHeight : 1;
  const width = Math.round(stream.width * sar);
  const quarterTurn = Math.abs(stream.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? 0) % 180 === 90;
  return {
    durationSeconds: seconds(json.format?.duration) ?? seconds(stream.duration),
    display: quarterTurn ? { width: stream.height, height: width } : { width, height: stream.height },
  };
}
