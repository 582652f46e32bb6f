// Direct uploads: a client sends a video's parts straight to the tenant bucket through presigned
// URLs, asks which parts arrived to resume, then completes. The parts land on a staged key outside
// `videos/`; completion sniffs the first bytes and only a video is copied to its video key, so the
// trigger never fires on anything else. It never carries a byte of the video itself, never leaves a
// refused or abandoned upload in the bucket (a delayed job aborts one at its expiry), and counts
// open uploads in the database, so the per-tenant cap holds across replicas.
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { ulid } from 'ulid';
import { asJobDb, type Database } from '../../db/database.js';
import { defineQueues, readJobPayload, sendJob } from '../../db/job-engine.js';
import { InvalidRequest, NotAVideo, TooManyOpenUploads, UploadCompleted, UploadCompleting, UploadNotFound, UploadTooLarge } from '../../domain/errors.js';
import type { FrameAt } from '../../domain/thumbnail-settings.js';
import { newVideoId, safeVideoName, stagedUploadKey, VIDEO_AT_METADATA, videoKey } from '../../domain/video-layout.js';
import type { Tenant, TenantLifecycle } from '../../tenants/tenant-types.js';
import { MAX_COPY_BYTES, type ObjectStorage, type StoredPart } from '../storage/object-storage.js';
import { abortUpload, completeUpload, getUpload, insertUpload, lockTenantUploads, openUploads, setMultipartUploadId, type UploadRecord } from './direct-upload-records.js';
import { UPLOAD_EXPIRY_QUEUE, uploadExpiryPayload, uploadExpiryQueue } from './direct-upload-queue.js';
import { SNIFF_BYTES, sniffVideo } from './video-signature.js';
import { acceptedVideo, catalogName, tenantBucket, uploadPartSize, type UploadedVideo } from './video-service.js';
import type { CatalogApi } from '../../catalog/video-catalog.js';

export type PartUrl = { partNumber: number; url: string };

export type CreatedUpload = { uploadId: string; videoId: string; partSize: number; parts: PartUrl[]; expiresAt: string };

export type UploadState = {
  uploadId: string;
  videoId: string;
  fileName: string;
  /** As declared at creation. */
  size: number;
  partSize: number;
  status: 'open' | 'completed';
  createdAt: string;
  expiresAt: string;
  /** The parts the store holds, in order (none once completed). */
  received: StoredPart[];
  /** The parts still to send, each with a fresh URL (none once completed). */
  parts: PartUrl[];
};

export type DirectUploads = {
  create(input: { tenantId: string; fileName: string; size: number; at?: FrameAt }): Promise<CreatedUpload>;
  get(tenantId: string, uploadId: string): Promise<UploadState>;
  /** Completing a completed upload answers the same video again. */
  complete(tenantId: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<UploadedVideo>;
  abort(tenantId: string, uploadId: string): Promise<void>;
};

export type DirectUploadsOptions = {
  db: Database;
  boss: PgBoss;
  storage: ObjectStorage;
  tenants: Pick<TenantLifecycle, 'get'>;
  /** Where a completed upload is listed at once (the store's event for it confirms it later). */
  catalog: Pick<CatalogApi, 'recordUpload'>;
  urlTtlSeconds: number;
  maxUploadBytes: number;
  maxOpenUploads: number;
  expirySeconds: number;
  logger: Pick<Logger, 'info' | 'warn'>;
};

/** A 429's Retry-After never says more than this: a slot may free sooner, when an upload completes. */
const RETRY_AFTER_MAX_SECONDS = 60;
/** What the staged object is until its content is known. */
const STAGED_CONTENT_TYPE = 'application/octet-stream';

/** The most bytes one direct upload may hold: the size limit, and at most what one store-side copy takes. */
export function directUploadLimit(maxUploadBytes: number): number {
  return Math.min(maxUploadBytes, MAX_COPY_BYTES);
}

const partCountOf = (upload: Pick<UploadRecord, 'declaredSize' | 'partSize'>) => Math.max(1, Math.ceil(upload.declaredSize / upload.partSize));

/** Defines the expiry queue, starts this replica's worker for it, and resolves with the workflow and a stop. */
export async function startDirectUploads(options: DirectUploadsOptions): Promise<{ uploads: DirectUploads; stop(): Promise<void> }> {
  const { db, boss, storage, tenants, catalog, urlTtlSeconds, logger } = options;
  const maxBytes = directUploadLimit(options.maxUploadBytes);
  await defineQueues(boss, [uploadExpiryQueue]);

  /** The upload as a client may still use it: UploadNotFound when unknown, another tenant's, aborted, expired or not yet created in the store. */
  async function usableUpload(tenantId: string, uploadId: string): Promise<UploadRecord & { multipartUploadId: string }> {
    const upload = await getUpload(db, uploadId, tenantId);
    if (!upload || upload.status === 'aborted' || !upload.multipartUploadId) throw new UploadNotFound(uploadId);
    if (upload.status === 'open' && upload.expired) throw new UploadNotFound(uploadId, 'has expired');
    return upload as UploadRecord & { multipartUploadId: string };
  }

  /** Fresh URLs for these parts, none outliving the upload itself. */
  function partUrls(bucket: string, upload: UploadRecord & { multipartUploadId: string }, partNumbers: number[]): Promise<PartUrl[]> {
    const untilExpiry = Math.floor((Date.parse(upload.expiresAt) - Date.now()) / 1000);
    const expiresIn = Math.max(1, Math.min(urlTtlSeconds, untilExpiry));
    const target = { bucket, key: upload.objectKey, uploadId: upload.multipartUploadId };
    return Promise.all(partNumbers.map(async (partNumber) => ({ partNumber, url: (await storage.presignUploadPart({ ...target, partNumber }, expiresIn)).url })));
  }

  const answer = (tenant: Tenant, bucket: string, upload: UploadRecord) =>
    acceptedVideo({ storage, urlTtlSeconds }, tenant, bucket, { id: upload.videoId, ...upload.video! });

  /** Removes the staged upload from the store (parts or object), then marks it aborted if it was open. */
  async function discard(bucket: string | undefined, upload: UploadRecord): Promise<void> {
    if (bucket) await storage.remove(bucket, upload.objectKey);
    await abortUpload(db, upload.id);
  }

  /** The expiry job: an upload still open at its expiry is aborted; any upload's staged leftovers (a crash mid-complete) go. */
  async function expire(uploadId: string): Promise<void> {
    const upload = await getUpload(db, uploadId);
    // Its tenant was deleted, and the bucket with it.
    if (!upload) return;
    if (upload.status === 'open' && !upload.expired) throw new Error(`upload ${uploadId} expires at ${upload.expiresAt}, not yet`);
    const tenant = await tenants.get(upload.tenantId);
    await discard(tenant?.outputs?.bucket, upload);
    if (upload.status === 'open') logger.info({ uploadId, tenantId: upload.tenantId }, 'abandoned direct upload aborted');
  }

  const uploads: DirectUploads = {
    async create({ tenantId, fileName, size, at }) {
      const { tenant, bucket } = await tenantBucket(tenants, tenantId, 'upload');
      if (size > maxBytes) throw new UploadTooLarge(maxBytes);
      const id = ulid();
      const draft = { id, tenantId: tenant.id, videoId: newVideoId(), objectKey: stagedUploadKey(id), fileName, declaredSize: size, partSize: uploadPartSize(size) };
      // The row and its expiry job first, in one transaction that holds the tenant's count: a refused
      // upload costs the store nothing, and whatever the store does next, the job cleans up after.
      const upload = await db.transaction(async (tx) => {
        await lockTenantUploads(tx, tenant.id);
        const open = await openUploads(tx, tenant.id);
        if (open.count >= options.maxOpenUploads) throw new TooManyOpenUploads(options.maxOpenUploads, Math.min(RETRY_AFTER_MAX_SECONDS, open.firstExpirySeconds));
        const inserted = await insertUpload(tx, { ...draft, ...(at !== undefined && { at: String(at) }), expirySeconds: options.expirySeconds });
        await sendJob(boss, UPLOAD_EXPIRY_QUEUE, uploadExpiryPayload, { uploadId: id }, { db: asJobDb(tx), startAfter: new Date(inserted.expiresAt) });
        return inserted;
      });
      try {
        const multipartUploadId = await storage.createMultipart({ bucket, key: upload.objectKey, contentType: STAGED_CONTENT_TYPE });
        await setMultipartUploadId(db, id, multipartUploadId);
        const partNumbers = Array.from({ length: partCountOf(upload) }, (_, index) => index + 1);
        const parts = await partUrls(bucket, { ...upload, multipartUploadId }, partNumbers);
        return { uploadId: id, videoId: upload.videoId, partSize: upload.partSize, parts, expiresAt: upload.expiresAt };
      } catch (error) {
        // Gives the slot back; a multipart upload the store may have started anyway, the expiry job removes.
        await abortUpload(db, id).catch(() => undefined);
        throw error;
      }
    },

    async get(tenantId, uploadId) {
      const { bucket } = await tenantBucket(tenants, tenantId, 'read');
      const upload = await usableUpload(tenantId, uploadId);
      const state = {
        uploadId: upload.id,
        videoId: upload.videoId,
        fileName: upload.fileName,
        size: upload.declaredSize,
        partSize: upload.partSize,
        createdAt: upload.createdAt,
        expiresAt: upload.expiresAt,
      };
      if (upload.status === 'completed') return { ...state, status: 'completed', received: [], parts: [] };
      const received = await storage.listParts(bucket, upload.objectKey, upload.multipartUploadId);
      if (!received) throw new UploadNotFound(uploadId, 'is no longer open');
      const have = new Set(received.map((part) => part.partNumber));
      const missing = Array.from({ length: partCountOf(upload) }, (_, index) => index + 1).filter((partNumber) => !have.has(partNumber));
      return { ...state, status: 'open', received, parts: await partUrls(bucket, upload, missing) };
    },

    async complete(tenantId, uploadId, parts) {
      const { tenant, bucket } = await tenantBucket(tenants, tenantId, 'upload');
      const upload = await usableUpload(tenantId, uploadId);
      if (upload.status === 'completed') return answer(tenant, bucket, upload);
      // The store would join parts with a gap (a part never sent) into a video with a hole.
      const partCount = partCountOf(upload);
      if (parts.length !== partCount || parts.some((part, index) => part.partNumber !== index + 1)) {
        throw new InvalidRequest(`name the upload's ${partCount} part(s), 1 to ${partCount} in order, each with the ETag its PUT answered (got ${parts.map((part) => part.partNumber).join(', ')})`);
      }
      // False when the store has joined them already: a completion that failed after this step, or one running alongside.
      await storage.completeMultipart({ bucket, key: upload.objectKey, uploadId: upload.multipartUploadId, parts, size: upload.declaredSize });
      const stored = await storage.readHead(bucket, upload.objectKey, SNIFF_BYTES);
      if (!stored) {
        // Neither parts nor object: a completion alongside finished first, the upload was aborted
        // meanwhile, or the store is still joining the parts for an earlier request (one that timed out).
        const now = await getUpload(db, uploadId, tenantId);
        if (now?.status === 'completed') return answer(tenant, bucket, now);
        if (now?.status === 'open' && !now.expired) throw new UploadCompleting(uploadId);
        throw new UploadNotFound(uploadId, 'is no longer open');
      }
      // A client may send more than it declared.
      if (stored.size > maxBytes) {
        await discard(bucket, upload);
        throw new UploadTooLarge(maxBytes);
      }
      const type = await sniffVideo(stored.head).catch(async (error: unknown) => {
        if (!(error instanceof NotAVideo)) throw error;
        await discard(bucket, upload);
        throw new NotAVideo(`${error.message}: it was deleted`);
      });
      const video = { key: videoKey(upload.videoId, safeVideoName(upload.fileName, type.extension)), size: stored.size, contentType: type.contentType };
      const metadata = upload.at === undefined ? undefined : { [VIDEO_AT_METADATA]: upload.at };
      await storage.copy({ bucket, from: upload.objectKey, to: video.key, size: video.size, contentType: video.contentType, metadata });
      await catalog.recordUpload({ tenantId: tenant.id, id: upload.videoId, name: catalogName(upload.fileName, video.key), ...video, createdAt: new Date().toISOString() });
      const completed = await completeUpload(db, uploadId, video);
      if (!completed) {
        const now = await getUpload(db, uploadId, tenantId);
        if (now?.status === 'completed') return answer(tenant, bucket, now);
        // Aborted (deleted, or expired) while this ran: the copy goes too.
        await storage.remove(bucket, video.key);
        throw new UploadNotFound(uploadId, 'was aborted while it completed');
      }
      // The video stands; a staged object left by a failure here is removed by the expiry job.
      await storage.remove(bucket, upload.objectKey).catch((error: unknown) => logger.warn({ uploadId, err: error }, 'staged upload not removed yet; the expiry job will'));
      return answer(tenant, bucket, completed);
    },

    async abort(tenantId, uploadId) {
      const { bucket } = await tenantBucket(tenants, tenantId, 'read');
      const upload = await usableUpload(tenantId, uploadId);
      if (upload.status === 'completed') throw new UploadCompleted(uploadId, upload.videoId);
      await discard(bucket, upload);
    },
  };

  await boss.work(UPLOAD_EXPIRY_QUEUE, { pollingIntervalSeconds: 2 }, async ([job]) => expire(readJobPayload(uploadExpiryPayload, job!.data).uploadId));
  return { uploads, stop: () => boss.offWork(UPLOAD_EXPIRY_QUEUE, { wait: false }) };
}
