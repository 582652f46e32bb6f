// Reads what the thumbnailer needs to know about a video with ffprobe (headers only, through ranged
// reads): duration, display size, codec, rotation and colour. It never decodes frames; anything
// ffprobe cannot parse is reported, not guessed around.
import { inputOptions, ffprobePath } from './input-options.js';
import type { PixelSize } from './thumbnail-size.js';
import { runTool } from './tool-process.js';

/** The colour description ffmpeg's zscale needs to convert the frames (ffmpeg's names). */
export type VideoColour = { transfer: string; primaries: string; matrix: string; range: 'tv' | 'pc' };

export type VideoProbe = {
  /** Undefined when the container does not say (then the first frame is used). */
  durationSeconds: number | undefined;
  /** The size the video is shown at: rotation and sample aspect ratio applied. */
  display: PixelSize;
  codec: string;
  /** The container's display rotation as ffprobe reports it, in degrees within [0, 360). */
  rotation: number;
  colour: VideoColour;
  /** PQ (SMPTE ST 2084) or HLG (ARIB STD-B67): the frames are tone-mapped to SDR. */
  hdr: 'pq' | 'hlg' | undefined;
  /** The brightest the content gets, in nits, when the container says (content light level, mastering display). */
  peakNits: number | undefined;
};

export type ProbeJson = {
  streams?: Array<{
    codec_name?: string;
    width?: number;
    height?: number;
    sample_aspect_ratio?: string;
    duration?: string;
    color_transfer?: string;
    color_primaries?: string;
    color_space?: string;
    color_range?: string;
    side_data_list?: Array<{ rotation?: number; max_content?: number; max_luminance?: string }>;
  }>;
  format?: { duration?: string };
};

/** Thrown when the input parses but holds nothing to take a frame from. */
export class NoVideoStream extends Error {}

const HDR_TRANSFERS: Record<string, VideoProbe['hdr']> = { smpte2084: 'pq', 'arib-std-b67': 'hlg' };

const positive = (value: number) => (Number.isFinite(value) && value > 0 ? value : undefined);
const seconds = (value: string | undefined) => positive(value === undefined ? Number.NaN : Number(value));
/** ffprobe's rationals ("10000000/10000") and plain numbers. */
const ratio = (value: string | undefined) => {
  const [top, bottom = '1'] = (value ?? '').split('/');
  return positive(Number(top) / Number(bottom));
};
const known = (value: string | undefined, fallback: string) => (value && value !== 'unknown' ? value : fallback);

/** The probe as ffprobe's JSON describes it; untagged colour is taken to be BT.709, or BT.2020 for HDR. */
export function describeProbe(json: ProbeJson): VideoProbe {
  const stream = json.streams?.[0];
  if (!stream?.width || !stream.height) throw new NoVideoStream('the file has no video stream');
  const sar = ratio(stream.sample_aspect_ratio?.replace(':', '/')) ?? 1;
  const width = Math.round(stream.width * sar);
  const sideData = stream.side_data_list ?? [];
  const rotation = sideData.find((data) => data.rotation !== undefined)?.rotation ?? 0;
  const quarterTurn = Math.abs(rotation) % 180 === 90;
  const transfer = known(stream.color_transfer, 'bt709');
  const hdr = HDR_TRANSFERS[transfer];
  return {
    durationSeconds: seconds(json.format?.duration) ?? seconds(stream.duration),
    display: quarterTurn ? { width: stream.height, height: width } : { width, height: stream.height },
    codec: stream.codec_name ?? 'unknown',
    rotation: ((rotation % 360) + 360) % 360,
    colour: {
      transfer,
      // PQ and HLG come with BT.2020 (BT.2100) when an encoder leaves the rest untagged.
      primaries: known(stream.color_primaries, hdr ? 'bt2020' : 'bt709'),
      matrix: known(stream.color_space, hdr ? 'bt2020nc' : 'bt709'),
      range: stream.color_range === 'pc' ? 'pc' : 'tv',
    },
    hdr,
    peakNits: sideData.map((data) => positive(data.max_content ?? 0) ?? ratio(data.max_luminance)).find((nits) => nits !== undefined),
  };
}

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
      'stream=codec_name,width,height,sample_aspect_ratio,duration,color_transfer,color_primaries,color_space,color_range' +
        ':stream_side_data=rotation,max_content,max_luminance:format=duration',
      '-of',
      'json',
      input,
    ],
    { timeoutMs },
  );
  return describeProbe(JSON.parse(run.stdout.toString()) as ProbeJson);
}
