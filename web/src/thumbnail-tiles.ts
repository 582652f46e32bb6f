// Groups a page of GET /thumbnails items (one per video and width) into one gallery tile per
// video, keeping the API's order. Pure, so it is tested directly.
import type { ThumbnailItem } from './api-types.js';

export type Tile = { videoId: string; preview: ThumbnailItem; sizes: ThumbnailItem[] };

/** Tiles show the smallest size at least this wide (sharp in the grid), else the largest. */
export const TILE_WIDTH = 240;

export function thumbnailTiles(items: ThumbnailItem[]): Tile[] {
  const byVideo = new Map<string, ThumbnailItem[]>();
  for (const item of items) byVideo.set(item.videoId, [...(byVideo.get(item.videoId) ?? []), item]);
  return [...byVideo].map(([videoId, group]) => {
    const sizes = group.toSorted((a, b) => a.width - b.width);
    const preview = sizes.find((item) => item.width >= TILE_WIDTH) ?? sizes.at(-1)!;
    return { videoId, preview, sizes };
  });
}
