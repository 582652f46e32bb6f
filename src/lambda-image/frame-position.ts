// Where in a video the thumbnail frame is taken: the tenant's `at` (seconds or "N%"), kept inside
// the video. Pure arithmetic; it never seeks past the last frames, where a seek can land on nothing.

/** Below this duration, or with no known duration, the first frame is used. */
export const SHORT_VIDEO_SECONDS = 1;
/** How far before the end a seek may land at most. */
export const END_MARGIN_SECONDS = 0.5;

export function frameTime(at: number | string, durationSeconds: number | undefined): number {
  if (durationSeconds === undefined || !(durationSeconds >= SHORT_VIDEO_SECONDS)) return 0;
  const wanted = typeof at === 'number' ? at : (Number.parseFloat(at) / 100) * durationSeconds;
  const latest = durationSeconds - END_MARGIN_SECONDS;
  return Math.round(Math.max(0, Math.min(wanted, latest)) * 1000) / 1000;
}
