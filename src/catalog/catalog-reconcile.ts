// The reconcile: compares each tenant's bucket with its catalog and applies, as object changes,
// whatever the events did not bring: a video or an output the catalog lacks is "created", a row
// whose object is gone is "removed" (only rows written before the listing began, so an upload
// racing the listing is never dropped), outputs left by a deleted video are removed, and old
// tombstones with nothing left are purged. It lists buckets, so it never runs on a read path; one
// tenant's failure is logged and never stops the others.
import type { Logger } from 'pino';
import type { Queryable } from '../db/database.js';
import { parseThumbnailKey, THUMBNAIL_PREFIX, thumbnailErrorKey, thumbnailMetaKey, VIDEO_PREFIX, videoIdOfKey, videoIdOfOutputKey } from '../domain/video-layout.js';
import { objectsUnder, type BucketObject, type BucketObjects } from './bucket-objects.js';
import * as records from './catalog-records.js';
import type { ObjectChange } from './catalog-queue.js';
import type { ChangeIngest } from './object-change-ingest.js';

/** How long a tombstone outlives its video: late events for it are recognised that long. */
export const TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

export type ReconcileSummary = { tenants: number; changes: number; purged: number; failed: string[] };

async function listAll(store: Pick<BucketObjects, 'list'>, bucket: string, prefix: string): Promise<BucketObject[]> {
  const all: BucketObject[] = [];
  for await (const objects of objectsUnder(store, bucket, prefix)) all.push(...objects);
  return all;
}

export function createCatalogReconcile(deps: { db: Queryable; store: BucketObjects; ingest: ChangeIngest; logger: Pick<Logger, 'info' | 'warn'>; tombstoneRetentionMs?: number }) {
  const { db, store, ingest } = deps;
  const retentionMs = deps.tombstoneRetentionMs ?? TOMBSTONE_RETENTION_MS;

  /** The changes that bring this tenant's catalog in line with its bucket, applied; resolves with how many. */
  async function reconcileTenant(tenantId: string, bucket: string): Promise<{ changes: number; purged: number }> {
    const startedAt = await records.databaseNow(db);
    const videoObjects = await listAll(store, bucket, VIDEO_PREFIX);
    const outputObjects = await listAll(store, bucket, THUMBNAIL_PREFIX);
    const catalog = await records.tenantCatalog(db, tenantId);
    const videos = new Map(catalog.videos.map((video) => [video.id, video]));
    const thumbnails = new Set(catalog.thumbnails.map((thumbnail) => thumbnail.key));
    const listed = new Set([...videoObjects, ...outputObjects].map((object) => object.key));
    const changes: ObjectChange[] = [];
    const created = (object: BucketObject) => changes.push({ change: 'created', bucket, key: object.key, size: object.size, at: object.lastModified.toISOString() });
    const removed = (key: string) => changes.push({ change: 'removed', bucket, key, at: startedAt.toISOString() });

    for (const object of videoObjects) {
      const video = videos.get(videoIdOfKey(object.key) ?? '');
      // Unknown: recorded. A tombstone's object is what a DELETE could not remove: removed now.
      if (!video) created(object);
      else if (video.deletedAt) await store.deleteObjects(bucket, [object.key]);
    }
    for (const object of outputObjects) {
      const videoId = videoIdOfOutputKey(object.key);
      if (!videoId) continue;
      const video = videos.get(videoId);
      // Applied as created, an output of a tombstone is removed from the bucket.
      const missed =
        video?.deletedAt !== undefined ||
        (object.key === thumbnailMetaKey(videoId) && video?.status !== 'ready') ||
        (object.key === thumbnailErrorKey(videoId) && (!video || video.status === 'pending')) ||
        (parseThumbnailKey(object.key) !== undefined && !thumbnails.has(object.key));
      if (missed) created(object);
    }
    for (const video of catalog.videos) {
      if (!video.deletedAt && !listed.has(video.key) && video.recordedAt < startedAt) removed(video.key);
    }
    for (const thumbnail of catalog.thumbnails) {
      if (!listed.has(thumbnail.key) && thumbnail.recordedAt < startedAt) removed(thumbnail.key);
    }
    for (const change of changes) await ingest.apply(change);

    const holdingObjects = new Set([...videoObjects.map((object) => videoIdOfKey(object.key)), ...outputObjects.map((object) => videoIdOfOutputKey(object.key))]);
    const expired = catalog.videos.filter((video) => video.deletedAt && startedAt.getTime() - video.deletedAt.getTime() > retentionMs && !holdingObjects.has(video.id));
    await records.purgeTombstones(db, tenantId, expired.map((video) => video.id));
    return { changes: changes.length, purged: expired.length };
  }

  return {
    reconcileTenant,

    /** Every tenant with a bucket, one after the other. */
    async reconcileAll(reason: string): Promise<ReconcileSummary> {
      const tenants = await records.tenantBuckets(db);
      const summary: ReconcileSummary = { tenants: tenants.length, changes: 0, purged: 0, failed: [] };
      for (const { tenantId, bucket } of tenants) {
        try {
          const { changes, purged } = await reconcileTenant(tenantId, bucket);
          summary.changes += changes;
          summary.purged += purged;
        } catch (error) {
          // The next scheduled pass tries this tenant again.
          summary.failed.push(tenantId);
          deps.logger.warn({ tenantId, err: error }, 'catalog reconcile of a tenant failed');
        }
      }
      deps.logger.info({ reason, ...summary, failed: summary.failed.length }, 'catalog reconcile done');
      return summary;
    },
  };
}
