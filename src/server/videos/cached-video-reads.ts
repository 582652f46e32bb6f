// The video service with its three reads (a video, a page of videos, a page of thumbnails) answered
// from the replica's read cache. An answer with links is kept no longer than their signing window,
// so it always carries the links a fresh read would sign. Writes pass straight through; it never
// keeps a failure (a missing video, a tenant not ready).
import type { ReadCache } from '../read-cache.js';
import { signingWindow } from '../storage/url-signer.js';
import type { VideoService } from './video-service.js';

export function withCachedReads(videos: VideoService, cache: ReadCache, options: { urlTtlSeconds: number; now?: () => number }): VideoService {
  const now = options.now ?? Date.now;
  /** Until the links signed now would be signed again. */
  const linksFreshUntil = () => signingWindow(options.urlTtlSeconds, now()).end * 1000;
  return {
    ...videos,
    get: (tenantId, videoId) => cache.read(tenantId, `video ${videoId}`, () => videos.get(tenantId, videoId), linksFreshUntil()),
    list: (tenantId, page) =>
      cache.read(tenantId, `videos ${JSON.stringify([page.status ?? null, page.limit, page.cursor ?? null])}`, () => videos.list(tenantId, page)),
    thumbnails: (tenantId, page) =>
      cache.read(tenantId, `thumbnails ${JSON.stringify([page.limit, page.cursor ?? null])}`, () => videos.thumbnails(tenantId, page), linksFreshUntil()),
  };
}
