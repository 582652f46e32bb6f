// The object key layout of a tenant bucket and what its output objects hold, defined once: uploads
// live under `videos/`, outputs under `thumbnails/<videoId>/`, so outputs can never re-trigger the
// thumbnailer, and direct uploads are staged under `uploads/` until their content is known.
import { ulid } from 'ulid';
import type { FrameAt } from './thumbnail-settings.js';

export const VIDEO_PREFIX = 'videos/';
export const THUMBNAIL_PREFIX = 'thumbnails/';
/**
 * Where a direct upload's multipart upload lands before its first bytes are sniffed: outside
 * `videos/`, so neither the trigger nor anything reading videos sees an object that may not be one.
 */
export const STAGED_UPLOAD_PREFIX = 'uploads/';
/** The suffixes the trigger fires on, on every target (S3 suffix filters are case-sensitive). */
export const VIDEO_SUFFIXES = ['.mp4', '.mov', '.m4v', '.webm', '.mkv', '.avi'] as const;

export const THUMBNAIL_FORMATS = ['jpeg', 'webp', 'avif'] as const;
export type ThumbnailFormat = (typeof THUMBNAIL_FORMATS)[number];

const FORMAT_FILES: Record<ThumbnailFormat, { extension: string; contentType: string }> = {
  jpeg: { extension: 'jpg', contentType: 'image/jpeg' },
  webp: { extension: 'webp', contentType: 'image/webp' },
  avif: { extension: 'avif', contentType: 'image/avif' },
};

/**
 * The S3 user metadata (sent as the `x-amz-meta-thumbforge-at` header) by which one upload overrides the
 * tenant's `at` for its video: the text form `parseFrameAt` reads ("auto", seconds, or "N%").
 */
export const VIDEO_AT_METADATA = 'thumbforge-at';

const VIDEO_ID = '[0-9A-HJKMNP-TV-Z]{26}';
const VIDEO_ID_PATTERN = new RegExp(`^${VIDEO_ID}$`);

/** Server-generated, sortable by creation time. */
export function newVideoId(): string {
  return ulid();
}

export function isVideoId(value: string): boolean {
  return VIDEO_ID_PATTERN.test(value);
}

/** Reduces any client file name to a key segment that is safe in a URL, a shell and a file system. */
export function safeVideoName(fileName: string, extension: string): string {
  const base = fileName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return `${base || 'video'}${extension}`;
}

export function videoKey(videoId: string, safeName: string): string {
  return `${videoPrefix(videoId)}${safeName}`;
}

/** `videos/<videoId>/`: where the video object lives (one object under it). */
export function videoPrefix(videoId: string): string {
  return `${VIDEO_PREFIX}${videoId}/`;
}

/** `thumbnails/<videoId>/`: every output of the video lives under it. */
export function outputPrefix(videoId: string): string {
  return `${THUMBNAIL_PREFIX}${videoId}/`;
}

/** `uploads/<uploadId>`: one direct upload's staged object, copied to its video key once sniffed. */
export function stagedUploadKey(uploadId: string): string {
  return `${STAGED_UPLOAD_PREFIX}${uploadId}`;
}

export function thumbnailExtension(format: ThumbnailFormat): string {
  return FORMAT_FILES[format].extension;
}

export function thumbnailContentType(format: ThumbnailFormat): string {
  return FORMAT_FILES[format].contentType;
}

const outputKey = (videoId: string, name: string) => `${outputPrefix(videoId)}${name}`;

/** `w<width>.<ext>`: the chosen frame at one of the tenant's widths. */
export function thumbnailKey(videoId: string, width: number, format: ThumbnailFormat): string {
  return outputKey(videoId, `w${width}.${thumbnailExtension(format)}`);
}

/** The chosen frame at the largest of the tenant's widths, under a name that does not depend on them. */
export function posterKey(videoId: string, format: ThumbnailFormat): string {
  return outputKey(videoId, `poster.${thumbnailExtension(format)}`);
}

/** A sprite sheet's file name, as storyboard.vtt and storyboard.json refer to it (relative to them). */
export function storyboardSheetName(index: number, format: ThumbnailFormat): string {
  return `storyboard-${index}.${thumbnailExtension(format)}`;
}

export function storyboardSheetKey(videoId: string, index: number, format: ThumbnailFormat): string {
  return outputKey(videoId, storyboardSheetName(index, format));
}

export function storyboardVttKey(videoId: string): string {
  return outputKey(videoId, 'storyboard.vtt');
}

export function storyboardIndexKey(videoId: string): string {
  return outputKey(videoId, 'storyboard.json');
}

/** The animated preview, always WebP. */
export function previewKey(videoId: string): string {
  return outputKey(videoId, 'preview.webp');
}

/** Written last: once it exists, every other output of that run exists too. */
export function thumbnailMetaKey(videoId: string): string {
  return outputKey(videoId, 'meta.json');
}

export function thumbnailErrorKey(videoId: string): string {
  return outputKey(videoId, 'error.json');
}

/** `videos/<videoId>/<name>` → videoId, or undefined for any other key. */
export function videoIdOfKey(key: string): string | undefined {
  if (!key.startsWith(VIDEO_PREFIX)) return undefined;
  const id = key.slice(VIDEO_PREFIX.length).split('/')[0];
  return id && isVideoId(id) ? id : undefined;
}

/** `thumbnails/<videoId>/<anything>` → videoId, or undefined for any other key. */
export function videoIdOfOutputKey(key: string): string | undefined {
  if (!key.startsWith(THUMBNAIL_PREFIX)) return undefined;
  const [id, name] = key.slice(THUMBNAIL_PREFIX.length).split('/');
  return id && name && isVideoId(id) ? id : undefined;
}

const THUMBNAIL_KEY_PATTERN = new RegExp(
  `^${THUMBNAIL_PREFIX}(${VIDEO_ID})/w(\\d+)\\.(${Object.values(FORMAT_FILES).map((file) => file.extension).join('|')})$`,
);

/** `thumbnails/<videoId>/w<width>.<ext>` → its parts, or undefined for any other key. */
export function parseThumbnailKey(key: string): { videoId: string; width: number } | undefined {
  const match = THUMBNAIL_KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { videoId: match[1]!, width: Number(match[2]) };
}

/** What `thumbnails/<videoId>/error.json` holds when the thumbnailer gave up on a video. */
export type ThumbnailErrorRecord = {
  /** Readable, from ffprobe/ffmpeg; never carries a link. */
  reason: string;
  videoKey: string;
  /** ISO time of the failure. */
  at: string;
  /** The regeneration this run was (src/domain/thumbnail-regeneration.ts), null for the upload's own run. */
  regeneration: string | null;
};

/** What `thumbnails/<videoId>/meta.json` holds: the video as probed and how its outputs were made. */
export type ThumbnailMeta = {
  videoKey: string;
  /** Null when the container does not say. */
  durationSeconds: number | null;
  /** The display size: rotation and sample aspect ratio applied. */
  width: number;
  height: number;
  codec: string;
  /** Degrees of the display rotation (0, 90, 180, 270). */
  rotation: number;
  /** Set when the video is HDR (tone-mapped to SDR for every output). */
  hdr: 'pq' | 'hlg' | null;
  /** The second the stills show. */
  atSeconds: number;
  /** The chosen frame's score (0–1) when `at` was "auto"; null for an exact position. */
  score: number | null;
  /** What was asked for, and who asked: a regeneration, the upload, or the tenant's settings. */
  at: FrameAt;
  atSource: 'regeneration' | 'upload' | 'settings';
  /** The regeneration this run was (src/domain/thumbnail-regeneration.ts), null for the upload's own run. */
  regeneration: string | null;
  format: ThumbnailFormat;
  widths: number[];
  storyboard: { sheets: number; tiles: number; intervalSeconds: number } | null;
  preview: { startSeconds: number; seconds: number; width: number; height: number; fps: number; bytes: number } | null;
  /** Outputs the settings asked for that could not be made, with why (a video with no duration has no storyboard). */
  skipped: Array<{ output: 'storyboard' | 'preview'; reason: string }>;
  /** ISO time of the run. */
  createdAt: string;
};

/** What `thumbnails/<videoId>/storyboard.json` holds; storyboard.vtt says the same as WebVTT cues. */
export type StoryboardIndex = {
  durationSeconds: number;
  intervalSeconds: number;
  tileWidth: number;
  tileHeight: number;
  /** Sheets in order; `file` is relative to the index (a sibling key). */
  sheets: Array<{ file: string; width: number; height: number; columns: number; rows: number; tiles: number }>;
  /** In order, without gaps, from 0 to the duration: the tile at (x, y) of sheet `sheet` shows [start, end). */
  cues: Array<{ start: number; end: number; sheet: number; x: number; y: number }>;
};
