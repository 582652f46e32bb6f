// The storyboard's layout, worked out before any frame is read: the interval, one cue per interval
// from 0 to the duration (in order, no gaps), the second each tile is grabbed at, the sheets, and the
// storyboard.json and WebVTT texts that describe them. Pure arithmetic and text.
import type { StoryboardSettings } from '../domain/thumbnail-settings.js';
import { storyboardSheetName, type StoryboardIndex, type ThumbnailFormat } from '../domain/video-layout.js';
import { latestSeek } from './frame-position.js';
import { thumbnailSize, type PixelSize } from './thumbnail-size.js';

/** A chosen interval keeps the tiles at or under this many. */
export const AUTO_MAX_TILES = 100;
/** A tenant's interval is widened if it would make more tiles than this (each tile is one seek). */
export const MAX_TILES = 600;
/** Rows per sheet at most; more tiles go on further sheets. */
export const SHEET_ROWS = 10;
const ROUND_INTERVALS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600];

export type StoryboardTile = { start: number; end: number; grabSeconds: number };
export type StoryboardSheet = { first: number; count: number; columns: number; rows: number };
export type StoryboardPlan = { durationSeconds: number; intervalSeconds: number; tile: PixelSize; tiles: StoryboardTile[]; sheets: StoryboardSheet[] };

const millis = (seconds: number) => Math.round(seconds * 1000) / 1000;
const tileCount = (duration: number, interval: number) => Math.max(1, Math.ceil(duration / interval - 1e-9));

/** The tenant's interval, or the roundest one that keeps to AUTO_MAX_TILES; never more than MAX_TILES tiles. */
export function storyboardInterval(durationSeconds: number, requested: number | undefined): number {
  const wanted = requested ?? ROUND_INTERVALS.find((interval) => tileCount(durationSeconds, interval) <= AUTO_MAX_TILES) ?? durationSeconds / AUTO_MAX_TILES;
  return tileCount(durationSeconds, wanted) > MAX_TILES ? durationSeconds / MAX_TILES : wanted;
}

export function planStoryboard(durationSeconds: number, display: PixelSize, settings: StoryboardSettings): StoryboardPlan {
  const intervalSeconds = storyboardInterval(durationSeconds, settings.intervalSeconds);
  const tiles = Array.from({ length: tileCount(durationSeconds, intervalSeconds) }, (_, index) => {
    const start = millis(index * intervalSeconds);
    const end = millis(Math.min((index + 1) * intervalSeconds, durationSeconds));
    // The keyframe at or before the cue's middle: a keyframe seek decodes a single frame.
    return { start, end, grabSeconds: millis(Math.min((start + end) / 2, latestSeek(durationSeconds))) };
  });
  const perSheet = settings.columns * SHEET_ROWS;
  const sheets = Array.from({ length: Math.ceil(tiles.length / perSheet) }, (_, index) => {
    const count = Math.min(perSheet, tiles.length - index * perSheet);
    const columns = Math.min(settings.columns, count);
    return { first: index * perSheet, count, columns, rows: Math.ceil(count / columns) };
  });
  return { durationSeconds, intervalSeconds: millis(intervalSeconds), tile: thumbnailSize(settings.tileWidth, display), tiles, sheets };
}

export function storyboardIndex(plan: StoryboardPlan, format: ThumbnailFormat): StoryboardIndex {
  const { width, height } = plan.tile;
  return {
    durationSeconds: plan.durationSeconds,
    intervalSeconds: plan.intervalSeconds,
    tileWidth: width,
    tileHeight: height,
    sheets: plan.sheets.map((sheet, index) => ({
      file: storyboardSheetName(index, format),
      width: sheet.columns * width,
      height: sheet.rows * height,
      columns: sheet.columns,
      rows: sheet.rows,
      tiles: sheet.count,
    })),
    cues: plan.sheets.flatMap((sheet, sheetIndex) =>
      plan.tiles.slice(sheet.first, sheet.first + sheet.count).map((tile, index) => ({
        start: tile.start,
        end: tile.end,
        sheet: sheetIndex,
        x: (index % sheet.columns) * width,
        y: Math.floor(index / sheet.columns) * height,
      })),
    ),
  };
}

/**
 * Whether a stored storyboard.json is exactly what these settings make of this video (same duration,
 * tiles, layout and sheet files): a run that only re-extracts the stills keeps such a storyboard.
 */
export function isStoryboardOf(stored: unknown, durationSeconds: number, display: PixelSize, settings: StoryboardSettings, format: ThumbnailFormat): stored is StoryboardIndex {
  return JSON.stringify(stored) === JSON.stringify(storyboardIndex(planStoryboard(durationSeconds, display, settings), format));
}

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (value: number, length = 2) => String(value).padStart(length, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

/** WebVTT thumbnail cues: each names its sheet (relative to the .vtt) with a `#xywh=` fragment. */
export function storyboardVtt(index: StoryboardIndex): string {
  const cues = index.cues.map(
    (cue) => `${vttTime(cue.start)} --> ${vttTime(cue.end)}\n${index.sheets[cue.sheet]!.file}#xywh=${cue.x},${cue.y},${index.tileWidth},${index.tileHeight}`,
  );
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}
