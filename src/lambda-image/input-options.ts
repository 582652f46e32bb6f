// The input options ffprobe and ffmpeg share: which demuxers and protocols a video may use, so a
// crafted "video" (an HLS or concat playlist) can never make ffmpeg open local files or other hosts.

/** The demuxers for the video suffixes the trigger accepts (mp4/mov/m4v, webm/mkv, avi). */
const FORMAT_WHITELIST = 'mov,matroska,avi';
const HTTP_READ_TIMEOUT_US = 15_000_000;

export const ffmpegPath = () => process.env.FFMPEG_PATH ?? 'ffmpeg';
export const ffprobePath = () => process.env.FFPROBE_PATH ?? 'ffprobe';

export const isRemoteInput = (input: string) => /^https?:\/\//.test(input);

export function inputOptions(input: string): string[] {
  const remote = isRemoteInput(input);
  return [
    '-format_whitelist',
    FORMAT_WHITELIST,
    '-protocol_whitelist',
    remote ? 'http,https,tcp,tls' : 'file',
    // A stalled connection fails the read instead of hanging until the overall timeout.
    ...(remote ? ['-rw_timeout', String(HTTP_READ_TIMEOUT_US)] : []),
    // The range cache answers a range with what it holds and one bounded read more; ffmpeg comes
    // back at once for the rest. Failing connections are not retried for long.
    ...(remote ? ['-reconnect', '1', '-reconnect_delay_max', '2'] : []),
  ];
}

/** Keeps presigned URLs (they carry a signature) out of messages that get logged or stored. */
export function withoutInput(message: string, input: string): string {
  return message.replaceAll(input, 'video').replaceAll(input.split('?')[0]!, 'video');
}
