// The catalog of videos and their thumbnails: object changes in (queued as durable jobs, applied by
// this replica's workers), uploads recorded as they are stored, reads out (from the database only:
// no read lists a bucket or reads an object), deletes, regenerations (a video pending again, for one
// new run), and the reconcile at start and on a schedule (one at a time across replicas). Video
// status changes are announced to the webhook sink, once.
// It never presigns (the server does) and never answers for a tenant it was not asked about.
import type { Logger } from 'pino';
import type { PgBoss } from 'pg-boss';
import { asJobDb, type Database, type Queryable } from '../db/database.js';
import { defineQueues, readJobPayload, sendJob } from '../db/job-engine.js';
import { InvalidRequest, VideoNotFound, VideoPending } from '../domain/errors.js';
import { isVideoId, outputPrefix, THUMBNAIL_PREFIX, videoPrefix } from '../domain/video-layout.js';
import type { WebhookEventSink } from '../domain/webhook-events.js';
import { deleteUnder, type BucketObjects } from './bucket-objects.js';
import {
  CATALOG_EVENTS_DEAD_LETTER_QUEUE,
  CATALOG_EVENTS_QUEUE,
  CATALOG_RECONCILE_QUEUE,
  catalogQueues,
  catalogReconcilePayload,
  changeOfEventName,
  objectChangeKey,
  objectChangePayload,
  type ObjectChange,
} from './catalog-queue.js';
import * as records from './catalog-records.js';
import { createCatalogReconcile } from './catalog-reconcile.js';
import { listItemOf, type CatalogPage, type CatalogPageRequest, type CatalogThumbnail, type CatalogVideo, type VideoListItem, type VideoStatus } from './catalog-types.js';
import { createChangeIngest, type VideoAnnouncer } from './object-change-ingest.js';

/** Changes applied at once on this replica. */
const EVENT_CONCURRENCY = 4;
/** How often an idle worker looks for a job that became ready without a NOTIFY (a retry's backoff ending). */
const IDLE_POLL_SECONDS = 2;

/** An object event as a store reports it (S3's event name, the raw key). */
export type StoreObjectEvent = { eventName: string; bucket: string; key: string; size?: number };

export type VideoCatalogOptions = {
  db: Database;
  /** A started job engine; the catalog defines its queues on it. */
  boss: PgBoss;
  store: BucketObjects;
  heartbeatSeconds: number;
  /** When the reconcile runs (cron, UTC), once per occurrence across replicas. */
  reconcileCron: string;
  /** Where video.ready, video.failed and video.deleted go; none, none are sent. */
  webhooks?: WebhookEventSink;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
};

export type VideoCatalog = {
  /** Queues object changes as jobs, in the caller's transaction when given one (both durable, or neither). */
  enqueue(changes: ObjectChange[], q?: Queryable): Promise<void>;
  /** An upload is stored: its video is listed (pending) at once; the store's event then confirms it. */
  recordUpload(video: records.NewVideo): Promise<void>;
  /** A live video; throws VideoNotFound. */
  video(tenantId: string, id: string): Promise<CatalogVideo>;
  /** Newest first; throws InvalidRequest for a cursor this API did not give out. */
  videos(tenantId: string, page: CatalogPageRequest & { status?: VideoStatus }): Promise<CatalogPage<VideoListItem>>;
  /** Key order (oldest video first); throws InvalidRequest for a cursor this API did not give out. */
  thumbnails(tenantId: string, page: CatalogPageRequest): Promise<CatalogPage<CatalogThumbnail>>;
  /**
   * Removes the video object, every output and the catalog rows; throws VideoNotFound. When the
   * store fails midway, the video stays listed (what was removed stays removed) and this rejects.
   */
  deleteVideo(tenantId: string, bucket: string, id: string): Promise<void>;
  /**
   * A ready or failed video waits for a new run: marked pending for `regeneration`, and the run
   * started by `start`, in one transaction (a start that throws changes nothing; one that sends a
   * job sends it in `tx`). Resolves with the video as it now is; throws VideoNotFound, or
   * VideoPending while a run is on its way. The run's meta.json or error.json, naming
   * `regeneration`, ends it as any run ends (announced as video.ready or video.failed).
   */
  regenerate(tenantId: string, id: string, regeneration: string, start: (video: CatalogVideo, tx: Queryable) => Promise<void>): Promise<CatalogVideo>;
  /** The thumbnailer's job for this video (the run of `regeneration`, null: its upload's) ran out of retries (local target: its dead letter). */
  thumbnailerGaveUp(bucket: string, videoKey: string, failure: { reason: string; regeneration: string | null }): Promise<void>;
  /** Asks for a reconcile as a job; dropped when one is already waiting or running anywhere. */
  requestReconcile(reason: string): Promise<void>;
  /** This replica's workers (changes, dead letters, reconciles) and the reconcile schedule. */
  startWorkers(): Promise<void>;
  /** Takes no new jobs and lets running changes finish (a running reconcile is not waited for). */
  stop(): Promise<void>;
};

/** What the API uses of the catalog: records of uploads, reads, deletes, regenerations. */
export type CatalogApi = Pick<VideoCatalog, 'recordUpload' | 'video' | 'videos' | 'thumbnails' | 'deleteVideo' | 'regenerate'>;

/** The catalog's changes among a store's events: creations and removals only. */
export function changesOf(events: StoreObjectEvent[], at: Date = new Date()): ObjectChange[] {
  return events.flatMap((event) => {
    const change = changeOfEventName(event.eventName);
    return change ? [{ change, bucket: event.bucket, key: event.key, ...(event.size !== undefined && { size: event.size }), at: at.toISOString() }] : [];
  });
}

const encodeKeyCursor = (key: string) => Buffer.from(key).toString('base64url');
function decodeKeyCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString();
  if (!key.startsWith(THUMBNAIL_PREFIX) || encodeKeyCursor(key) !== cursor) throw new InvalidRequest('the cursor is not one this API returned');
  return key;
}

export async function createVideoCatalog(options: VideoCatalogOptions): Promise<VideoCatalog> {
  const { db, boss, store, logger } = options;
  await defineQueues(boss, catalogQueues({ heartbeatSeconds: options.heartbeatSeconds }));

  const announce: VideoAnnouncer = async (type, video, tx) => {
    await options.webhooks?.publish({ type, tenantId: video.tenantId, data: listItemOf(video) }, tx);
  };
  const ingest = createChangeIngest({ db, store, announce, logger });
  const reconcile = createCatalogReconcile({ db, store, ingest, logger });
  let working = false;

  return {
    async enqueue(changes, q) {
      for (const change of changes) {
        await sendJob(boss, CATALOG_EVENTS_QUEUE, objectChangePayload, change, { singletonKey: objectChangeKey(change), ...(q && { db: asJobDb(q) }) });
      }
    },

    async recordUpload(video) {
      await records.recordVideo(db, video, 'upload');
    },

    async video(tenantId, id) {
      const video = isVideoId(id) ? await records.getVideo(db, tenantId, id) : undefined;
      if (!video) throw new VideoNotFound(id);
      return video;
    },

    async videos(tenantId, { status, limit, cursor }) {
      if (cursor !== undefined && !isVideoId(cursor)) throw new InvalidRequest('the cursor is not one this API returned');
      const page = await records.listVideos(db, tenantId, { status, limit, cursor });
      if (!page) throw new InvalidRequest('the cursor is not one this API returned');
      return page;
    },

    async thumbnails(tenantId, { limit, cursor }) {
      const page = await records.listThumbnails(db, tenantId, { limit, afterKey: cursor === undefined ? undefined : decodeKeyCursor(cursor) });
      const last = page.items.at(-1);
      return { items: page.items, nextCursor: page.more && last ? encodeKeyCursor(last.key) : null };
    },

    async deleteVideo(tenantId, bucket, id) {
      // The tombstone comes first: an output the thumbnailer writes from now on is recognised as
      // late (and removed as its event arrives), so nothing is left behind by a run still going.
      const removed = isVideoId(id) ? await records.tombstoneVideo(db, tenantId, id) : undefined;
      if (!removed) throw new VideoNotFound(id);
      try {
        await deleteUnder(store, bucket, videoPrefix(id));
        await deleteUnder(store, bucket, outputPrefix(id));
      } catch (error) {
        await db.transaction((tx) => records.reviveVideo(tx, tenantId, removed));
        throw error;
      }
      // Only once the objects are gone: a failed removal revives the video, so the event cannot come
      // first. A replica that dies in between loses this one event; the delete itself stands.
      await db.transaction((tx) => announce('video.deleted', removed.video, tx)).catch((error: unknown) => {
        logger.error({ err: error, tenantId, videoId: id }, 'video.deleted not handed over: the video is deleted all the same');
      });
    },

    async regenerate(tenantId, id, regeneration, start) {
      if (!isVideoId(id)) throw new VideoNotFound(id);
      return db.transaction(async (tx) => {
        const transition = await records.markRegenerating(tx, tenantId, id, regeneration);
        if (!transition) throw (await records.getVideo(tx, tenantId, id)) ? new VideoPending(id) : new VideoNotFound(id);
        await start(transition.video, tx);
        return transition.video;
      });
    },

    async thumbnailerGaveUp(bucket, videoKey, failure) {
      await ingest.thumbnailerGaveUp(bucket, videoKey, failure);
    },

    async requestReconcile(reason) {
      await sendJob(boss, CATALOG_RECONCILE_QUEUE, catalogReconcilePayload, { reason });
    },

    async startWorkers() {
      if (working) return;
      working = true;
      const polling = { pollingIntervalSeconds: IDLE_POLL_SECONDS, notifyPollingIntervalSeconds: IDLE_POLL_SECONDS };
      await boss.work(CATALOG_EVENTS_QUEUE, { ...polling, localConcurrency: EVENT_CONCURRENCY }, async ([job]) => {
        const change = readJobPayload(objectChangePayload, job!.data);
        const outcome = await ingest.apply(change);
        logger.debug({ ...change, outcome }, 'catalog change applied');
      });
      await boss.work(CATALOG_EVENTS_DEAD_LETTER_QUEUE, { ...polling }, async ([job]) => {
        const change = readJobPayload(objectChangePayload, job!.data);
        logger.error({ ...change }, 'catalog change dead-lettered after its retries: the next reconcile applies it');
      });
      await boss.work(CATALOG_RECONCILE_QUEUE, { ...polling }, async ([job]) => {
        await reconcile.reconcileAll(readJobPayload(catalogReconcilePayload, job!.data).reason);
      });
      await boss.schedule(CATALOG_RECONCILE_QUEUE, options.reconcileCron, { version: catalogReconcilePayload.version, reason: 'schedule' }, { tz: 'UTC' });
    },

    async stop() {
      // Changes are a few queries each: they finish. A reconcile may be listing many buckets: it is
      // left to the job engine's stop, and the next replica's start runs one again.
      await Promise.all([
        boss.offWork(CATALOG_EVENTS_QUEUE),
        boss.offWork(CATALOG_EVENTS_DEAD_LETTER_QUEUE),
        boss.offWork(CATALOG_RECONCILE_QUEUE, { wait: false }),
      ]);
    },
  };
}
