// One video being rendered: its input (a presigned GET, read through a loopback range cache, or a
// file path), what ffprobe said about it, and the time left. Every ffmpeg run against it goes through
// here, so every failure leaves as a typed thumbnail error whose reason never carries the input URL.
import { ffmpegPath, inputOptions, isRemoteInput, withoutInput } from './input-options.js';
import { NoVideoStream, probeVideo, type VideoProbe } from './probe-video.js';
import { startRangeCache } from './range-cache.js';
import { SourceUnreadable, ThumbnailTimedOut, VideoUndecodable } from './thumbnail-errors.js';
import { runTool, ToolFailed, ToolTimedOut } from './tool-process.js';

export const DEFAULT_RENDER_TIMEOUT_MS = 60_000;

export type VideoSource = {
  /** What ffmpeg opens: the file, or the range cache's loopback URL for a remote video. */
  input: string;
  probe: VideoProbe;
  /** The options that must come right before `-i input`, for any input ffmpeg opens of this video. */
  inputOptions: string[];
  /** Runs ffmpeg within the time left; `step` names the run in a timeout's reason. */
  ffmpeg(step: string, args: string[], stdin?: Buffer): Promise<Buffer>;
  /** Stops the range cache; the source is not read after this. */
  close(): Promise<void>;
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

/**
 * Probes the video; the returned source's runs share `timeoutMs`, counted from now. A remote video is
 * read through a range cache, so every run after the first finds the header and index already fetched.
 */
export async function openVideoSource(source: string, timeoutMs = DEFAULT_RENDER_TIMEOUT_MS, { rangeCache = true } = {}): Promise<VideoSource> {
  const deadline = Date.now() + timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const cache = rangeCache && isRemoteInput(source) ? await startRangeCache(source) : undefined;
  const input = cache?.url ?? source;
  const close = async () => cache?.close();
  const probe = await probeVideo(input, remaining()).catch(async (error: unknown) => {
    await close();
    throw typed(error, input, 'ffprobe');
  });
  return {
    input,
    probe,
    close,
    inputOptions: inputOptions(input),
    async ffmpeg(step, args, stdin) {
      const run = await runTool(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { timeoutMs: remaining(), stdin }).catch(
        (error: unknown) => {
          throw typed(error, input, step);
        },
      );
      return run.stdout;
    },
  };
}
