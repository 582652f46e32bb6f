// How "auto" judges candidate frames, from what ffmpeg's signalstats and blurdetect filters printed:
// black, flat, blurred and fading frames are faults, the rest are ranked by contrast × sharpness ×
// steadiness. Pure: it reads numbers, it never runs ffmpeg.

/** One candidate as measured on an SDR, 8-bit, limited-range rendering of the frame. */
export type FrameStats = {
  seconds: number;
  /** 10th percentile, mean and 90th percentile of the luma (16–235). */
  yLow: number;
  yAvg: number;
  yHigh: number;
  /** blurdetect's estimate (about 5 for a sharp frame at the scoring size; NaN when there are no edges). */
  blur: number;
};

export type FrameFault = 'black' | 'flat' | 'blurred' | 'fading';
export type ScoredFrame = FrameStats & { score: number; faults: FrameFault[] };

/** Nine in ten pixels darker than this: a black frame (blackframe's idea, on the 90th percentile). */
const BLACK_Y_HIGH = 40;
/** Less luma spread than this between the 10th and 90th percentiles: a flat frame. */
const FLAT_SPREAD = 16;
/** The spread at which contrast counts fully. */
const FULL_SPREAD = 96;
/** blurdetect values up to this count as fully sharp; above the second, blurred. */
const SHARP_BLUR = 6;
const BLURRED_BLUR = 9;
/** Mean luma change per second to a neighbouring candidate: up to the first is steady, above the second a fade. */
const STEADY_CHANGE = 4;
const FADING_CHANGE = 10;
const STOPPED_CHANGE = 40;

const STAT_KEYS = { 'lavfi.signalstats.YLOW': 'yLow', 'lavfi.signalstats.YAVG': 'yAvg', 'lavfi.signalstats.YHIGH': 'yHigh', 'lavfi.blur': 'blur' } as const;

/** Parses the `metadata=mode=print` output; frame times are relative to the window, which starts at `offsetSeconds`. */
export function parseFrameStats(printed: string, offsetSeconds: number): FrameStats[] {
  const frames: FrameStats[] = [];
  for (const line of printed.split('\n')) {
    const time = /pts_time:(\S+)/.exec(line);
    if (time) {
      frames.push({ seconds: Math.round((offsetSeconds + Number(time[1])) * 1000) / 1000, yLow: 0, yAvg: 0, yHigh: 0, blur: Number.NaN });
      continue;
    }
    const [key, value] = line.trim().split('=');
    const field = STAT_KEYS[key as keyof typeof STAT_KEYS];
    const frame = frames.at(-1);
    if (field && frame && value !== undefined) frame[field] = Number(value);
  }
  return frames;
}

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

/** Scores each candidate; a fade shows as the mean luma moving fast between neighbouring candidates. */
export function scoreFrames(frames: FrameStats[]): ScoredFrame[] {
  return frames.map((frame, index) => {
    const neighbours = [frames[index - 1], frames[index + 1]].filter((other) => other !== undefined && other.seconds !== frame.seconds);
    const change = Math.max(0, ...neighbours.map((other) => Math.abs(other!.yAvg - frame.yAvg) / Math.abs(other!.seconds - frame.seconds)));
    const spread = frame.yHigh - frame.yLow;
    const faults: FrameFault[] = [];
    if (frame.yHigh < BLACK_Y_HIGH) faults.push('black');
    if (spread < FLAT_SPREAD) faults.push('flat');
    if (!(frame.blur <= BLURRED_BLUR)) faults.push('blurred');
    if (change > FADING_CHANGE) faults.push('fading');
    const contrast = clamp01(spread / FULL_SPREAD);
    const sharpness = Number.isNaN(frame.blur) ? 0 : clamp01(SHARP_BLUR / frame.blur);
    const steadiness = clamp01(1 - (change - STEADY_CHANGE) / (STOPPED_CHANGE - STEADY_CHANGE));
    return { ...frame, score: Math.round(contrast * sharpness * steadiness * 1000) / 1000, faults };
  });
}

/** The highest score, the candidate nearest `targetSeconds` among equals; `faultless` leaves out faulty candidates. */
export function bestFrame(frames: ScoredFrame[], targetSeconds: number, faultless: boolean): ScoredFrame | undefined {
  const distance = (frame: ScoredFrame) => Math.abs(frame.seconds - targetSeconds);
  return frames
    .filter((frame) => !faultless || frame.faults.length === 0)
    .reduce<ScoredFrame | undefined>((best, frame) => {
      if (!best || frame.score > best.score || (frame.score === best.score && distance(frame) < distance(best))) return frame;
      return best;
    }, undefined);
}
