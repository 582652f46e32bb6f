// Where in a video frames are taken: an exact `at` (seconds or "N%") kept inside the video, and the
// windows "auto" scores around 10%. Pure arithmetic; it never seeks into the last frames, where a
// seek can land on nothing.

/** Below this duration, or with no known duration, the first frame is used. */
export const SHORT_VIDEO_SECONDS = 1;
/** How far before the end a seek may land at most. */
export const END_MARGIN_SECONDS = 0.5;
/** "auto" looks for the best frame near this share of the duration. */
export const AUTO_SHARE = 0.1;
/** The window scored first, and the wider one scored once if every frame in the first is bad. */
const AUTO_WINDOWS = [
  { before: 1, length: 2 },
  { before: 2, length: 8 },
];

export type TimeWindow = { startSeconds: number; seconds: number };

const millis = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** The latest second a seek may aim at. */
export function latestSeek(durationSeconds: number): number {
  return Math.max(0, durationSeconds - END_MARGIN_SECONDS);
}

/** An exact position: seconds, or "N%" of the duration. */
export function frameTime(at: number | string, durationSeconds: number | undefined): number {
  if (durationSeconds === undefined || !(durationSeconds >= SHORT_VIDEO_SECONDS)) return 0;
  const wanted = typeof at === 'number' ? at : (Number.parseFloat(at) / 100) * durationSeconds;
  return millis(Math.max(0, Math.min(wanted, latestSeek(durationSeconds))));
}

/** Where "auto" aims: 10% in, or the start when the duration is unknown. */
export function autoTarget(durationSeconds: number | undefined): number {
  return millis((durationSeconds ?? 0) * AUTO_SHARE);
}

/**
 * The windows to score, in order; their length never depends on the duration (so neither does their
 * cost). A short clip, which the first window already covers whole, gets no second one.
 */
export function autoWindows(durationSeconds: number | undefined): TimeWindow[] {
  const target = autoTarget(durationSeconds);
  const latest = durationSeconds === undefined ? Number.POSITIVE_INFINITY : durationSeconds - END_MARGIN_SECONDS;
  const windows = AUTO_WINDOWS.map(({ before, length }) => {
    const start = Math.max(0, Math.min(target - before, latest - length));
    const end = Math.min(start + length, latest);
    // A clip shorter than the margin: all of it.
    if (!(end > start)) return { startSeconds: 0, seconds: millis(durationSeconds ?? length) };
    return { startSeconds: millis(start), seconds: millis(end - start) };
  });
  return windows.filter((window, index) => index === 0 || window.startSeconds !== windows[index - 1]!.startSeconds || window.seconds !== windows[index - 1]!.seconds);
}
