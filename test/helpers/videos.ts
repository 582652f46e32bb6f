// Test videos made on the spot with ffmpeg's lavfi sources, and the checks made on thumbnails:
// decoded size and codec (ffprobe) and pixel variance (a blank image has next to none).
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
  codec?: 'h264' | 'vp9';
  /** Display rotation written into the container (mp4/mov), in degrees. */
  rotate?: 90 | 180 | 270;
  /** Keyframe interval in frames; seeking cost depends on it. */
  gop?: number;
};

const ENCODERS = {
  h264: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-pix_fmt', 'yuv420p'],
};

export async function makeVideo(dir: string, spec: VideoSpec): Promise<string> {
  const { seconds = 2, width = 320, height = 180, rate = 25, codec = 'h264' } = spec;
  const path = join(dir, spec.name);
  const target = spec.rotate ? join(dir, `unrotated-${spec.name}`) : path;
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${rate}`,
    '-t', String(seconds), ...ENCODERS[codec], '-g', String(spec.gop ?? rate), target,
  ]);
  if (spec.rotate) {
    // ffmpeg 5 writes the display matrix from the `rotate` tag when remuxing.
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', target, '-c', 'copy', '-metadata:s:v:0', `rotate=${spec.rotate}`, path]);
  }
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

/** Variance of the gray levels (0–255): a blank or single-colour image is close to 0. */
export async function pixelVariance(image: Buffer): Promise<number> {
  const gray = await pipeThrough('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], image);
  let sum = 0;
  let squares = 0;
  for (const value of gray) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / gray.length;
  return squares / gray.length - mean * mean;
}
