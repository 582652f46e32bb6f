// The object key layout of a tenant bucket, defined once: uploads live under `videos/`,
// outputs under `thumbnails/`, so outputs can never re-trigger the thumbnailer.
import { ulid } from 'ulid';

export const VIDEO_PREFIX = 'videos/';
export const THUMBNAIL_PREFIX = 'thumbnails/';
/** The suffixes the trigger fires on, on every target (S3 suffix filters are case-sensitive). */
export const VIDEO_SUFFIXES = ['.mp4', '.mov', '.m4v', '.webm', '.mkv', '.avi'] as const;

export type ThumbnailFormat = 'jpeg' | 'webp';

const VIDEO_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

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
  return `${VIDEO_PREFIX}${videoId}/${safeName}`;
}

export function thumbnailExtension(format: ThumbnailFormat): string {
  return format === 'jpeg' ? 'jpg' : 'webp';
}

export function thumbnailContentType(format: ThumbnailFormat): string {
  return format === 'jpeg' ? 'image/jpeg' : 'image/webp';
}

export function thumbnailKey(videoId: string, width: number, format: ThumbnailFormat): string {
  return `${THUMBNAIL_PREFIX}${videoId}/w${width}.${thumbnailExtension(format)}`;
}

export function thumbnailErrorKey(videoId: string): string {
  return `${THUMBNAIL_PREFIX}${videoId}/error.json`;
}

/** `videos/<videoId>/<name>` → videoId, or undefined for any other key. */
export function videoIdOfKey(key: string): string | undefined {
  if (!key.startsWith(VIDEO_PREFIX)) return undefined;
  const id = key.slice(VIDEO_PREFIX.length).split('/')[0];
  return id && isVideoId(id) ? id : undefined;
}

/** `thumbnails/<videoId>/w<width>.<ext>` → its parts, or undefined for any other key. */
export function parseThumbnailKey(key: string): { videoId: string; width: number } | undefined {
  const match = /^thumbnails\/([0-9A-HJKMNP-TV-Z]{26})\/w(\d+)\.(jpg|webp)$/.exec(key);
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
};
