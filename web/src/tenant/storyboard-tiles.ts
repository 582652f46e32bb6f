// Finds the storyboard tile for a moment of a video and says how to show it: which sheet, and the
// CSS background size and position (in percent, so it fits a frame of any size) that crop the
// sheet to that tile. Pure: it reads storyboard.json (StoryboardIndex) and nothing else.
import type { StoryboardIndex } from '../api-types.js';

/** The cue showing second `seconds`: cues are in order and cover [0, duration) without gaps. */
export function cueAt(index: StoryboardIndex, seconds: number): number {
  const found = index.cues.findIndex((cue) => seconds < cue.end);
  return found === -1 ? index.cues.length - 1 : found;
}

/** The cue under a pointer `fraction` (0 at the left edge, 1 at the right) of the way through the video. */
export function cueAtFraction(index: StoryboardIndex, fraction: number): number {
  const clamped = Math.min(1, Math.max(0, fraction));
  return cueAt(index, clamped * index.durationSeconds);
}

export type TileView = {
  /** The sheet's position in storyboard.json's `sheets` (and in GET /videos/:id `storyboard.images`). */
  sheet: number;
  /** The cue's time range, for a label. */
  start: number;
  end: number;
  /** CSS `background-size` and `background-position` for an element with the tile's aspect ratio. */
  backgroundSize: string;
  backgroundPosition: string;
};

/**
 * A background percentage p lines up p% of the image with p% of the box, so a tile at x of a sheet W
 * wide, in a box one tile (w) wide, sits at x / (W − w); a sheet one tile wide has no choice (0%).
 */
const percent = (offset: number, sheet: number, tile: number) => (sheet > tile ? (offset / (sheet - tile)) * 100 : 0);
const css = (value: number) => `${Number(value.toFixed(4))}%`;

export function tileView(index: StoryboardIndex, cueIndex: number): TileView {
  const cue = index.cues[cueIndex];
  if (!cue) throw new RangeError(`the storyboard has no cue ${cueIndex} (it has ${index.cues.length})`);
  const sheet = index.sheets[cue.sheet];
  if (!sheet) throw new RangeError(`cue ${cueIndex} names sheet ${cue.sheet}, which the storyboard does not have`);
  return {
    sheet: cue.sheet,
    start: cue.start,
    end: cue.end,
    backgroundSize: `${css((sheet.width / index.tileWidth) * 100)} ${css((sheet.height / index.tileHeight) * 100)}`,
    backgroundPosition: `${css(percent(cue.x, sheet.width, index.tileWidth))} ${css(percent(cue.y, sheet.height, index.tileHeight))}`,
  };
}
