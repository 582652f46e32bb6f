// Applies one object change a tenant bucket reported to the catalog: a video created (pending) or
// removed (a tombstone, its outputs removed too), meta.json (read once: it is written last, so it
// means ready, and says the metadata and the outputs; the video's thumbnails are recorded with it), error.json (failed, with the reason), a
// `w<width>` file (a thumbnail row), and the thumbnailer giving up (failed). Every change is
// idempotent and may come late, twice or out of order: a video never comes back from its
// tombstone, an output written for a deleted video is removed from the bucket, and an outcome
// (meta.json, error.json, giving up) counts only when it is of the run the video waits for (its
// regeneration, or the upload's own run). A status change is announced once, by whichever call
// made it, in the change's own transaction: the change and its webhook event commit together (a
// replica killed between them loses neither; a failed hand-over undoes the change, and the job's
// retry makes both). It never answers an API read.
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Database, Queryable } from '../db/database.js';
import {
  outputPrefix,
  parseThumbnailKey,
  THUMBNAIL_FORMATS,
  thumbnailErrorKey,
  thumbnailMetaKey,
  videoIdOfKey,
  videoIdOfOutputKey,
} from '../domain/video-layout.js';
import type { WebhookEventType } from '../domain/webhook-events.js';
import { deleteUnder, objectsUnder, type BucketObjects } from './bucket-objects.js';
import * as records from './catalog-records.js';
import type { ObjectChange } from './catalog-queue.js';
import type { CatalogVideo } from './catalog-types.js';

/** Hands a video's status change to the webhooks, in the change's transaction `tx`; a rejection rolls the change back with it. */
export type VideoAnnouncer = (type: Extract<WebhookEventType, `video.${string}`>, video: CatalogVideo, tx: Queryable) => Promise<void>;

/** What applying a change did, for the log and the tests. */
export type IngestOutcome =
  | 'no tenant'
  | 'not a catalog key'
  | 'video recorded'
  | 'video known'
  | 'video gone'
  | 'video deleted'
  | 'late output removed'
  | 'ready'
  | 'failed'
  | 'thumbnail recorded'
  | 'thumbnail dropped'
  | 'nothing to record';

/** The part of meta.json the catalog keeps (src/domain/video-layout.ts ThumbnailMeta). */
const metaSchema = z.object({
  videoKey: z.string(),
  durationSeconds: z.number().nullable(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  codec: z.string(),
  atSeconds: z.number(),
  score: z.number().nullable(),
  format: z.enum(THUMBNAIL_FORMATS),
  widths: z.array(z.number().int().positive()),
  storyboard: z.object({ sheets: z.number().int().nonnegative() }).nullable(),
  preview: z.object({}).nullable(),
  // Absent from what a thumbnailer before regenerations wrote: the upload's own run.
  regeneration: z.string().nullish().transform((value) => value ?? null),
});

const UNKNOWN_FAILURE = 'the thumbnailer could not process this video';

/** The reason error.json gives (its `reason`, or an `error`/`message` an older thumbnailer wrote), and its run. */
function failureOf(record: unknown): { reason: string; regeneration: string | null; videoKey?: string } {
  if (!record || typeof record !== 'object') return { reason: UNKNOWN_FAILURE, regeneration: null };
  const { reason, error, message, videoKey, regeneration } = record as Record<string, unknown>;
  const text = [reason, error, message].find((value): value is string => typeof value === 'string' && value.length > 0);
  return { reason: text ?? UNKNOWN_FAILURE, regeneration: typeof regeneration === 'string' ? regeneration : null, ...(typeof videoKey === 'string' && { videoKey }) };
}

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

export type ChangeIngest = {
  apply(change: ObjectChange): Promise<IngestOutcome>;
  /** The thumbnailer's job for `videoKey` (the run of `regeneration`, or null: the upload's) ran out of retries: the video waiting for that run shows failed with `reason`. */
  thumbnailerGaveUp(bucket: string, videoKey: string, failure: { reason: string; regeneration: string | null }): Promise<IngestOutcome>;
};

export function createChangeIngest(deps: { db: Pick<Database, 'query' | 'transaction'>; store: BucketObjects; announce: VideoAnnouncer; logger: Pick<Logger, 'warn'> }): ChangeIngest {
  const { db, store, announce } = deps;

  /** The video of `videoKey` in the catalog, recorded from the object itself when the catalog has not heard of it yet. */
  async function ensureVideo(tenantId: string, bucket: string, videoKey: string): Promise<'live' | 'deleted' | 'gone'> {
    const id = videoIdOfKey(videoKey);
    if (!id) return 'gone';
    const state = await records.videoState(db, tenantId, id);
    if (state !== 'unknown') return state;
    const object = await store.head(bucket, videoKey);
    if (!object) return 'gone';
    const video = await records.recordVideo(
      db,
      { tenantId, id, name: baseName(videoKey), key: videoKey, size: object.size, contentType: object.contentType, createdAt: object.lastModified.toISOString() },
      'store',
    );
    return video ? 'live' : 'deleted';
  }

  /** Makes the video a tombstone (when it is live) and removes its outputs; announces the deletion once. */
  async function videoRemoved(tenantId: string, bucket: string, id: string, key: string): Promise<IngestOutcome> {
    const removed = await db.transaction(async (tx) => {
      const tombstone = await records.tombstoneVideo(tx, tenantId, id, key);
      if (tombstone) await announce('video.deleted', tombstone.video, tx);
      return tombstone;
    });
    if (!removed) return 'nothing to record';
    // The video went from outside the API: its outputs go with it (late ones are removed as they come).
    await deleteUnder(store, bucket, outputPrefix(id));
    return 'video deleted';
  }

  async function metaArrived(tenantId: string, bucket: string, videoId: string, key: string): Promise<IngestOutcome> {
    const parsed = metaSchema.safeParse(await store.readJson(bucket, key));
    if (!parsed.success) {
      // Gone again (a DELETE), or not what this thumbnailer writes: nothing to record from it.
      deps.logger.warn({ bucket, key, issues: parsed.error.issues.length }, 'meta.json not understood: the video stays as it is');
      return 'nothing to record';
    }
    const meta = parsed.data;
    if (videoIdOfKey(meta.videoKey) !== videoId) return 'nothing to record';
    const state = await ensureVideo(tenantId, bucket, meta.videoKey);
    if (state === 'gone') return 'video gone';
    if (state === 'deleted') return removeLateOutput(bucket, key);
    // Every thumbnail exists once meta.json does: recorded now, so a ready video's are all listed
    // whatever order their own events come in (theirs then change nothing).
    for await (const objects of objectsUnder(store, bucket, outputPrefix(videoId))) {
      for (const object of objects) {
        const thumbnail = parseThumbnailKey(object.key);
        if (thumbnail) await records.recordThumbnail(db, tenantId, { videoId, key: object.key, width: thumbnail.width, size: object.size, createdAt: object.lastModified.toISOString() });
      }
    }
    // Only the run the video waits for: a meta.json of an earlier one (read late, or by a reconcile while a regeneration runs) changes nothing.
    const ready = await db.transaction(async (tx) => {
      const transition = await records.markReady(tx, tenantId, videoId, {
        regeneration: meta.regeneration,
        readyAt: new Date().toISOString(),
        durationSeconds: meta.durationSeconds,
        width: meta.width,
        height: meta.height,
        codec: meta.codec,
        outputs: {
          format: meta.format,
          widths: meta.widths,
          poster: { atSeconds: meta.atSeconds, score: meta.score },
          ...(meta.storyboard && { storyboardSheets: meta.storyboard.sheets }),
          preview: meta.preview !== null,
        },
      });
      if (transition && transition.previous !== 'ready') await announce('video.ready', transition.video, tx);
      return transition;
    });
    return ready ? 'ready' : 'nothing to record';
  }

  async function failureArrived(tenantId: string, bucket: string, videoId: string, key: string): Promise<IngestOutcome> {
    const failure = failureOf(await store.readJson(bucket, key));
    const state = failure.videoKey ? await ensureVideo(tenantId, bucket, failure.videoKey) : await records.videoState(db, tenantId, videoId);
    if (state === 'deleted') return removeLateOutput(bucket, key);
    if (state !== 'live') return 'video gone';
    return fail(tenantId, videoId, failure, 'not-ready');
  }

  /** Marks the video failed (see records.markFailed's `from`) and announces it when that was a change, in one transaction. */
  async function fail(tenantId: string, videoId: string, failure: { reason: string; regeneration: string | null }, from: 'not-ready' | 'pending'): Promise<IngestOutcome> {
    const transition = await db.transaction(async (tx) => {
      const made = await records.markFailed(tx, tenantId, videoId, failure, from);
      if (made && made.previous !== 'failed') await announce('video.failed', made.video, tx);
      return made;
    });
    return transition ? 'failed' : 'nothing to record';
  }

  async function removeLateOutput(bucket: string, key: string): Promise<IngestOutcome> {
    await store.deleteObjects(bucket, [key]);
    return 'late output removed';
  }

  async function outputCreated(tenantId: string, change: ObjectChange, videoId: string): Promise<IngestOutcome> {
    const { bucket, key } = change;
    const state = await records.videoState(db, tenantId, videoId);
    if (state === 'deleted') return removeLateOutput(bucket, key);
    if (key === thumbnailMetaKey(videoId)) return metaArrived(tenantId, bucket, videoId, key);
    if (key === thumbnailErrorKey(videoId)) return failureArrived(tenantId, bucket, videoId, key);
    const thumbnail = parseThumbnailKey(key);
    // A thumbnail before its video is known is recorded with its meta.json, which comes last.
    if (!thumbnail || state === 'unknown') return 'nothing to record';
    const size = change.size ?? (await store.head(bucket, key))?.size;
    if (size === undefined) return 'nothing to record';
    if (await records.recordThumbnail(db, tenantId, { videoId, key, width: thumbnail.width, size, createdAt: change.at })) return 'thumbnail recorded';
    // Deleted meanwhile: its DELETE may have listed the outputs before this one was written.
    return (await records.videoState(db, tenantId, videoId)) === 'deleted' ? removeLateOutput(bucket, key) : 'nothing to record';
  }

  return {
    async apply(change) {
      const tenantId = await records.tenantOfBucket(db, change.bucket);
      if (!tenantId) return 'no tenant';
      const videoId = videoIdOfKey(change.key);
      if (videoId) {
        if (change.change === 'removed') return videoRemoved(tenantId, change.bucket, videoId, change.key);
        const state = await records.videoState(db, tenantId, videoId);
        // A late report of a deleted video's upload: the object went with the DELETE.
        if (state !== 'unknown') return state === 'live' ? 'video known' : 'nothing to record';
        const recorded = await ensureVideo(tenantId, change.bucket, change.key);
        return recorded === 'live' ? 'video recorded' : recorded === 'gone' ? 'video gone' : 'nothing to record';
      }
      const outputOf = videoIdOfOutputKey(change.key);
      if (!outputOf) return 'not a catalog key';
      if (change.change === 'created') return outputCreated(tenantId, change, outputOf);
      if (!parseThumbnailKey(change.key)) return 'nothing to record';
      await records.dropThumbnail(db, tenantId, change.key);
      return 'thumbnail dropped';
    },

    async thumbnailerGaveUp(bucket, videoKey, failure) {
      const tenantId = await records.tenantOfBucket(db, bucket);
      const videoId = videoIdOfKey(videoKey);
      if (!tenantId || !videoId) return 'no tenant';
      if ((await ensureVideo(tenantId, bucket, videoKey)) !== 'live') return 'video gone';
      return fail(tenantId, videoId, failure, 'pending');
    },
  };
}
