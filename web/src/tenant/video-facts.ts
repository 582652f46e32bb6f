// A video's facts in words for the console: file sizes, durations and display sizes. Pure, so it is
// tested directly; a fact the API did not give is never guessed (undefined in, undefined out).

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** `0:07`, `12:05`, `1:02:03`: whole seconds, rounded down, as players show a position. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const pad = (value: number) => String(value).padStart(2, '0');
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(rest)}` : `${minutes}:${pad(rest)}`;
}

/** `1280×720`, the display size (rotation and pixel aspect applied by the thumbnailer). */
export function displaySize(video: { width?: number; height?: number }): string | undefined {
  return video.width !== undefined && video.height !== undefined ? `${video.width}×${video.height}` : undefined;
}
