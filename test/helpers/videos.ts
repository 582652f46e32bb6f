// Test videos made on the spot with ffmpeg's lavfi sources (fades, black or blurred stretches,
// non-square pixels, 10-bit, HDR PQ and HLG, variable frame rate), a cheap lookalike that only
// passes the signature check, files that are not videos (ffmpeg's AVIF, PNG and M4A, a HEIC header,
// text), and the checks made on thumbnails: decoded size and codec
// (ffprobe), pixel variance (a blank image has next to none), mean luma and saturation, and how far
// an image is from a video's frame (gray levels, against ffmpeg's own extract).
import { execFile, spawn } from 'node:child_process';
import { rename, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type VideoSpec = {
  /** File name inside `dir`; its extension picks the container. */
  name: string;
  seconds?: number;
  width?: number;
  height?: number;
  rate?: number;
  /** h264-10bit: 4:2:0 10-bit SDR; hevc-pq and hevc-hlg: HDR (BT.2020, 10-bit, PQ or HLG) made from the same SDR picture. */
  codec?: 'h264' | 'vp9' | 'h264-10bit' | HdrCodec;
  /** Display rotation written into the container (mp4/mov), in degrees. */
  rotate?: 90 | 180 | 270;
  /** Keyframe interval in frames; seeking cost depends on it. */
  gop?: number;
  /** Filters applied to the test pattern first (fades, blur, black stretches), with `t` in seconds. */
  filters?: string[];
  /** A sample aspect ratio ("4/3"): the pixels are that much wider than tall. */
  sar?: string;
  /** Variable frame rate: `rate` for the first second, then one frame in five. */
  variableRate?: boolean;
  /** HDR tagged with its transfer only (no primaries, no matrix), as some encoders write it. */
  transferTagOnly?: boolean;
};

const TAGGED_BT709 = ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv'];
const ENCODERS = {
  h264: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-pix_fmt', 'yuv420p'],
  'h264-10bit': ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', ...TAGGED_BT709],
};

type HdrCodec = 'hevc-pq' | 'hevc-hlg';
const HDR_TRANSFERS: Record<HdrCodec, string> = { 'hevc-pq': 'smpte2084', 'hevc-hlg': 'arib-std-b67' };
const hdrEncoder = (transfer: string, transferOnly = false) => ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p10le',
  '-color_trc', transfer, ...(transferOnly ? [] : ['-color_primaries', 'bt2020', '-colorspace', 'bt2020nc', '-color_range', 'tv'])];
/** SDR white at BT.2408's 203 nits, as an HDR master of SDR content would put it (zscale needs tagged input). */
const sdrToHdr = (transfer: string) => `zscale=t=linear:npl=203,format=gbrpf32le,zscale=p=bt2020:t=${transfer}:m=bt2020nc:r=tv:npl=203,format=yuv420p10le`;

const ffmpeg = (args: string[]) => run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

export async function makeVideo(dir: string, spec: VideoSpec): Promise<string> {
  const { seconds = 2, width = 320, height = 180, rate = 25, codec = 'h264' } = spec;
  const gop = ['-g', String(spec.gop ?? rate)];
  const path = join(dir, spec.name);
  const encoded = spec.rotate ? join(dir, `unrotated-${spec.name}`) : path;
  // HDR is made from a tagged SDR encoding of the same picture.
  const hdr = codec === 'hevc-pq' || codec === 'hevc-hlg' ? HDR_TRANSFERS[codec] : undefined;
  const sdr = hdr ? join(dir, `sdr-${spec.name}`) : encoded;
  const filters = [
    ...(spec.filters ?? []),
    ...(spec.sar ? [`setsar=${spec.sar}`] : []),
    ...(spec.variableRate ? [`select='lt(t,1)+not(mod(n,5))'`] : []),
  ];
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${rate}`,
    ...(filters.length > 0 ? ['-vf', filters.join(',')] : []),
    ...(spec.variableRate ? ['-fps_mode', 'vfr'] : []),
    '-t', String(seconds), ...(hdr ? [...ENCODERS.h264, ...TAGGED_BT709] : ENCODERS[codec as keyof typeof ENCODERS]), ...gop, sdr,
  ]);
  // Untagging takes setparams too: the encoder would otherwise copy the frames' own tags.
  const untag = spec.transferTagOnly ? ',setparams=color_primaries=unknown:colorspace=unknown' : '';
  if (hdr) await ffmpeg(['-i', sdr, '-vf', sdrToHdr(hdr) + untag, ...hdrEncoder(hdr, spec.transferTagOnly), ...gop, encoded]);
  // ffmpeg 5 writes the display matrix from the `rotate` tag when remuxing.
  if (spec.rotate) await ffmpeg(['-i', encoded, '-c', 'copy', '-metadata:s:v:0', `rotate=${spec.rotate}`, path]);
  return path;
}

/** A video cut to half its bytes: an mp4's index (at the end) is gone. */
export async function makeTruncatedVideo(dir: string, name: string): Promise<string> {
  const whole = await makeVideo(dir, { name: `whole-${name}` });
  const path = join(dir, name);
  await rename(whole, path);
  await truncate(path, Math.floor((await stat(path)).size / 2));
  return path;
}

/** An ISO-BMFF header followed by filler: passes the signature check, not a decodable video. */
export function mp4Lookalike(bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes, 0x2a);
  buffer.writeUInt32BE(24, 0);
  buffer.write('ftypisom', 4, 'latin1');
  return buffer;
}

/** Not videos, written by ffmpeg: a still image (AVIF: an ISO-BMFF `ftyp` of brand `avif`; PNG) or AAC audio in an M4A (brand `M4A `). */
export async function makeNonVideo(dir: string, kind: 'avif' | 'png' | 'm4a'): Promise<string> {
  const path = join(dir, `not-a-video.${kind}`);
  const input = kind === 'm4a' ? ['-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'aac'] : ['-f', 'lavfi', '-i', 'testsrc2=size=64x36', '-frames:v', '1'];
  await ffmpeg([...input, path]);
  return path;
}

/** The start of a HEIC image (ffmpeg 5 writes none): a `ftyp` box of major brand `heic`, compatible with `mif1`, then filler. */
export function heicHeader(bytes = 4096): Buffer {
  const buffer = Buffer.alloc(bytes, 0x2a);
  buffer.writeUInt32BE(24, 0);
  buffer.write('ftypheic', 4, 'latin1');
  buffer.writeUInt32BE(0, 12);
  buffer.write('mif1heic', 16, 'latin1');
  return buffer;
}

export async function makeTextFile(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, 'this is not a video, only text that is named like one\n'.repeat(20));
  return path;
}

function pipeThrough(tool: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${tool} failed: ${stderr}`))));
    child.stdin.end(input);
  });
}

export type ImageInfo = { codec: string; width: number; height: number };

export async function imageInfo(image: Buffer): Promise<ImageInfo> {
  const out = await pipeThrough('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', '-i', 'pipe:0'], image);
  const stream = (JSON.parse(out.toString()) as { streams: Array<{ codec_name: string; width: number; height: number }> }).streams[0]!;
  return { codec: stream.codec_name, width: stream.width, height: stream.height };
}

/** An image's gray levels (0–255), one byte a pixel, at its own size. */
export function grayPixels(image: Buffer): Promise<Buffer> {
  return pipeThrough('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], image);
}

/** The video's frame at `seconds` (ffmpeg's exact seek), as gray levels at the video's own size. */
export async function grayFrameAt(video: string, seconds: number): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The mean absolute difference of two gray images of one size (0 for the same pixels, 255 at most). */
export function grayDifference(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`the images differ in size: ${a.length} and ${b.length} pixels`);
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** Variance of the gray levels (0–255): a blank or single-colour image is close to 0. */
export async function pixelVariance(image: Buffer): Promise<number> {
  const gray = await grayPixels(image);
  let sum = 0;
  let squares = 0;
  for (const value of gray) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / gray.length;
  return squares / gray.length - mean * mean;
}

export type ImageStats = { meanLuma: number; meanSaturation: number };

/** Mean luma and chroma saturation (ffmpeg's signalstats YAVG and SATAVG, 8-bit scale) of an image. */
export async function imageStats(image: Buffer): Promise<ImageStats> {
  const printed = (
    await pipeThrough('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-vf', "format=yuv444p,signalstats,metadata=mode=print:file='pipe\\:1'", '-f', 'null', '-'], image)
  ).toString();
  const value = (name: string) => Number(new RegExp(`lavfi\\.signalstats\\.${name}=(\\S+)`).exec(printed)?.[1]);
  return { meanLuma: value('YAVG'), meanSaturation: value('SATAVG') };
}
