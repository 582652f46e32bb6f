// Decides which second the stills show: an exact `at` as asked, or for "auto" the best-scoring frame
// in a short window around 10% (widened once when every candidate is bad). It decodes only those
// windows, reached by input seeking, so its cost never grows with the video's length.
import type { FrameAt } from '../domain/thumbnail-settings.js';
import { displayFilters } from './display-filters.js';
import { autoTarget, autoWindows, frameTime, type TimeWindow } from './frame-position.js';
import { bestFrame, parseFrameStats, scoreFrames, type ScoredFrame } from './frame-score.js';
import { thumbnailSize } from './thumbnail-size.js';
import type { VideoSource } from './video-source.js';

/** Candidates are this far apart at least (real frames, so variable frame rates need no resampling). */
const CANDIDATE_SPACING_SECONDS = 0.25;
/** Candidates are measured at this width: enough for blurdetect, cheap for HDR tone mapping. */
const SCORING_WIDTH = 320;

export type ChosenFrame = {
  atSeconds: number;
  /** The frame's score when "auto" chose it; null for an exact position. */
  score: number | null;
};

async function scoreWindow(source: VideoSource, window: TimeWindow): Promise<ScoredFrame[]> {
  const filters = [
    `select='isnan(prev_selected_t)+gte(t-prev_selected_t,${CANDIDATE_SPACING_SECONDS})'`,
    ...displayFilters(source.probe, thumbnailSize(SCORING_WIDTH, source.probe.display)),
    'format=yuv420p',
    'signalstats',
    'blurdetect',
    "metadata=mode=print:file='pipe\\:1'",
  ];
  const printed = await source.ffmpeg('frame scoring', [
    ...source.inputOptions,
    '-ss',
    String(window.startSeconds),
    '-t',
    String(window.seconds),
    '-i',
    source.input,
    '-map',
    '0:v:0',
    '-vf',
    filters.join(','),
    '-f',
    'null',
    '-',
  ]);
  return scoreFrames(parseFrameStats(printed.toString(), window.startSeconds));
}

export async function pickFrame(source: VideoSource, at: FrameAt): Promise<ChosenFrame> {
  const duration = source.probe.durationSeconds;
  if (at !== 'auto') return { atSeconds: frameTime(at, duration), score: null };
  const target = autoTarget(duration);
  let candidates: ScoredFrame[] = [];
  for (const window of autoWindows(duration)) {
    candidates = await scoreWindow(source, window);
    const good = bestFrame(candidates, target, true);
    if (good) return { atSeconds: good.seconds, score: good.score };
  }
  // Every candidate of the wider window is bad: the least bad, or the target itself if none decoded.
  const leastBad = bestFrame(candidates, target, false);
  return leastBad ? { atSeconds: leastBad.seconds, score: leastBad.score } : { atSeconds: target, score: 0 };
}
