// The records the catalog keeps and hands out: a video with what its outputs are, a thumbnail file,
// the list item (the GET /videos item, also the `data` of every video webhook), and pages. Records
// only: never a link (the server presigns), never a SQL row, never an S3 type.
import type { ThumbnailFormat } from '../domain/video-layout.js';

export const VIDEO_STATUSES = ['pending', 'ready', 'failed'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];

/** What meta.json said about the outputs of the run that made the video ready. */
export type VideoOutputs = {
  format: ThumbnailFormat;
  widths: number[];
  poster: { atSeconds: number; score: number | null };
  /** Present when the run made a storyboard: its sheet count. */
  storyboardSheets?: number;
  preview: boolean;
};

/** A video as GET /videos lists it, and as every video webhook carries it. */
export type VideoListItem = {
  id: string;
  name: string;
  status: VideoStatus;
  size: number;
  contentType: string;
  createdAt: string;
  readyAt?: string;
  durationSeconds?: number;
  width?: number;
  height?: number;
};

/** A video as the catalog holds it. */
export type CatalogVideo = VideoListItem & {
  tenantId: string;
  key: string;
  codec?: string;
  /** Why it failed, when status is failed. */
  error?: string;
  /** Set once ready. */
  outputs?: VideoOutputs;
};

/** One `w<width>.<ext>` file of a video. */
export type CatalogThumbnail = { videoId: string; key: string; width: number; size: number; createdAt: string };

export type CatalogPageRequest = { limit: number; cursor?: string };
/** `nextCursor` is null on the last page. */
export type CatalogPage<T> = { items: T[]; nextCursor: string | null };

export function listItemOf(video: CatalogVideo): VideoListItem {
  const { id, name, status, size, contentType, createdAt, readyAt, durationSeconds, width, height } = video;
  return {
    id,
    name,
    status,
    size,
    contentType,
    createdAt,
    ...(readyAt !== undefined && { readyAt }),
    ...(durationSeconds !== undefined && { durationSeconds }),
    ...(width !== undefined && { width }),
    ...(height !== undefined && { height }),
  };
}
