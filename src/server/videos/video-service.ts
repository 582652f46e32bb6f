// The work behind /videos and /thumbnails: streams an upload into the tenant's bucket, reads a
// video's thumbnail state back from the bucket, pages through thumbnails with presigned links.
// It holds no state of its own: the bucket is the truth, so a restart loses nothing.
import type { Readable } from 'node:stream';
import { InvalidRequest, TenantNotFound, TenantNotReady, VideoNotFound } from '../../domain/errors.js';
import {
  THUMBNAIL_PREFIX,
  VIDEO_PREFIX,
  isVideoId,
  newVideoId,
  parseThumbnailKey,
  posterKey,
  previewKey,
  safeVideoName,
  storyboardIndexKey,
  storyboardSheetKey,
  storyboardVttKey,
  thumbnailErrorKey,
  thumbnailKey,
  thumbnailMetaKey,
  VIDEO_AT_METADATA,
  videoKey,
  type ThumbnailMeta,
} from '../../domain/video-layout.js';
import type { FrameAt, ThumbnailSettings } from '../../domain/thumbnail-settings.js';
import type { Tenant, TenantLifecycle } from '../../tenants/tenant-types.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import { VideoIntake } from './video-intake.js';

export type ThumbnailLink = { width: number; key: string; url: string; expiresAt: string };
export type VideoStatus = 'pending' | 'ready' | 'failed';
export type UploadedVideo = {
  id: string;
  tenant: string;
  key: string;
  size: number;
  contentType: string;
  status: 'pending';
  thumbnails: ThumbnailLink[];
};
/** What meta.json says about a processed video, with presigned links to the outputs it lists. */
export type VideoOutputs = {
  durationSeconds?: number;
  /** The display size: rotation and non-square pixels applied. */
  width?: number;
  height?: number;
  poster?: { url: string; atSeconds: number; score: number | null };
  /** `images` in sheet order: storyboard.vtt and storyboard.json name the sheets `storyboard-<n>.<ext>`. */
  storyboard?: { vtt: string; json: string; images: string[] };
  preview?: { url: string };
};
export type VideoState = { id: string; tenant: string; key: string; status: VideoStatus; error?: string; thumbnails: ThumbnailLink[] } & VideoOutputs;
export type ThumbnailItem = ThumbnailLink & { videoId: string; size: number; lastModified: string };
export type ThumbnailPage = { items: ThumbnailItem[]; nextCursor: string | null };

export type VideoService = {
  /** `at` overrides the tenant's setting for this one video: it travels as the object's metadata to the thumbnailer. */
  upload(input: { tenantId: string; fileName: string; file: Readable; at?: FrameAt }): Promise<UploadedVideo>;
  get(tenantId: string, videoId: string): Promise<VideoState>;
  thumbnails(tenantId: string, page: { limit: number; cursor?: string }): Promise<ThumbnailPage>;
};

const MiB = 1024 * 1024;
const S3_MAX_PARTS = 10_000;
const S3_MIN_PART_BYTES = 5 * MiB;

/** The smallest whole-MiB part size (at least S3's 5 MiB) that fits `maxBytes` in 10,000 parts. */
export function uploadPartSize(maxBytes: number): number {
  return Math.max(S3_MIN_PART_BYTES, Math.ceil(maxBytes / S3_MAX_PARTS / MiB) * MiB);
}

const encodeCursor = (key: string) => Buffer.from(key).toString('base64url');
function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString();
  if (!key.startsWith(THUMBNAIL_PREFIX) || encodeCursor(key) !== cursor) throw new InvalidRequest('the cursor is not one this API returned');
  return key;
}

function errorReason(record: unknown): string {
  if (record && typeof record === 'object') {
    const { reason, error, message } = record as Record<string, unknown>;
    const text = [reason, error, message].find((value) => typeof value === 'string');
    if (text) return text as string;
  }
  return 'the thumbnailer could not process this video';
}

/** Uploads need a ready tenant; reads (and clean-ups) only a bucket that exists. */
export type BucketPurpose = 'upload' | 'read';

/** The tenant and its bucket, for `purpose`; TenantNotFound or TenantNotReady otherwise. */
export async function tenantBucket(tenants: Pick<TenantLifecycle, 'get'>, tenantId: string, purpose: BucketPurpose): Promise<{ tenant: Tenant; bucket: string }> {
  const tenant = await tenants.get(tenantId);
  if (!tenant) throw new TenantNotFound(tenantId);
  const ready = purpose === 'upload' ? tenant.status === 'ready' : tenant.status !== 'provisioning';
  if (!ready || !tenant.outputs) throw new TenantNotReady(tenantId, tenant.status);
  return { tenant, bucket: tenant.outputs.bucket };
}

type Presigning = { storage: Pick<ObjectStorage, 'presignGet'>; urlTtlSeconds: number };

async function thumbnailLink({ storage, urlTtlSeconds }: Presigning, bucket: string, key: string, width: number): Promise<ThumbnailLink> {
  const { url, expiresAt } = await storage.presignGet(bucket, key, urlTtlSeconds);
  return { width, key, url, expiresAt: expiresAt.toISOString() };
}

/** A link per width of the tenant's settings: where the thumbnails are (or will be, once the thumbnailer ran). */
function thumbnailLinks(presigning: Presigning, bucket: string, videoId: string, settings: ThumbnailSettings): Promise<ThumbnailLink[]> {
  return Promise.all(settings.widths.map((width) => thumbnailLink(presigning, bucket, thumbnailKey(videoId, width, settings.format), width)));
}

/** The answer to a video stored in the tenant's bucket, streamed (POST /videos) or direct (POST /uploads/:id/complete). */
export async function acceptedVideo(presigning: Presigning, tenant: Tenant, bucket: string, video: { id: string; key: string; size: number; contentType: string }): Promise<UploadedVideo> {
  const thumbnails = await thumbnailLinks(presigning, bucket, video.id, tenant.settings);
  return { ...video, tenant: tenant.id, status: 'pending', thumbnails };
}

export function createVideoService(deps: { tenants: Pick<TenantLifecycle, 'get'>; storage: ObjectStorage; urlTtlSeconds: number; maxUploadBytes: number }): VideoService {
  const { tenants, storage, urlTtlSeconds, maxUploadBytes } = deps;
  const partSize = uploadPartSize(maxUploadBytes);

  const bucketOf = (tenantId: string, purpose: BucketPurpose) => tenantBucket(tenants, tenantId, purpose);
  const link = (bucket: string, key: string, width: number) => thumbnailLink({ storage, urlTtlSeconds }, bucket, key, width);

  /** The outputs meta.json records (it is written last, so they all exist), or nothing before it exists. */
  async function outputsOf(bucket: string, videoId: string): Promise<VideoOutputs> {
    const meta = (await storage.readJson(bucket, thumbnailMetaKey(videoId))) as Partial<ThumbnailMeta> | undefined;
    if (!meta || typeof meta.atSeconds !== 'number' || !meta.format) return {};
    const { format } = meta;
    const url = async (key: string) => (await storage.presignGet(bucket, key, urlTtlSeconds)).url;
    const sheets = Array.from({ length: meta.storyboard?.sheets ?? 0 }, (_, index) => url(storyboardSheetKey(videoId, index, format)));
    return {
      ...(typeof meta.durationSeconds === 'number' && { durationSeconds: meta.durationSeconds }),
      ...(typeof meta.width === 'number' && typeof meta.height === 'number' && { width: meta.width, height: meta.height }),
      poster: { url: await url(posterKey(videoId, format)), atSeconds: meta.atSeconds, score: meta.score ?? null },
      ...(meta.storyboard && {
        storyboard: { vtt: await url(storyboardVttKey(videoId)), json: await url(storyboardIndexKey(videoId)), images: await Promise.all(sheets) },
      }),
      ...(meta.preview && { preview: { url: await url(previewKey(videoId)) } }),
    };
  }

  const links = (bucket: string, videoId: string, settings: ThumbnailSettings) => thumbnailLinks({ storage, urlTtlSeconds }, bucket, videoId, settings);

  return {
    async upload({ tenantId, fileName, file, at }) {
      const intake = new VideoIntake(maxUploadBytes);
      // The client left mid-upload (also while the tenant is looked up): fail the intake, which aborts the multipart upload.
      file.on('error', () => intake.destroy(new InvalidRequest('the client closed the connection before the upload finished')));
      try {
        const { tenant, bucket } = await bucketOf(tenantId, 'upload');
        file.pipe(intake);
        const type = await intake.type;
        const id = newVideoId();
        const key = videoKey(id, safeVideoName(fileName, type.extension));
        const metadata = at === undefined ? undefined : { [VIDEO_AT_METADATA]: String(at) };
        await storage.upload({ bucket, key, body: intake, contentType: type.contentType, partSize, metadata });
        return acceptedVideo({ storage, urlTtlSeconds }, tenant, bucket, { id, key, size: intake.bytes, contentType: type.contentType });
      } catch (error) {
        // Whatever failed, the rest of the request is never read: its answer closes the connection (plugins/refused-bodies.ts).
        file.unpipe(intake);
        intake.destroy();
        throw error;
      }
    },

    async get(tenantId, videoId) {
      const { tenant, bucket } = await bucketOf(tenantId, 'read');
      if (!isVideoId(videoId)) throw new VideoNotFound(videoId);
      const [video] = (await storage.list(bucket, { prefix: `${VIDEO_PREFIX}${videoId}/`, maxKeys: 1 })).objects;
      if (!video) throw new VideoNotFound(videoId);
      const outputs = new Set((await storage.list(bucket, { prefix: `${THUMBNAIL_PREFIX}${videoId}/` })).objects.map((object) => object.key));
      const thumbnails = await links(bucket, videoId, tenant.settings);
      const base = { id: videoId, tenant: tenant.id, key: video.key, thumbnails };
      if (outputs.has(thumbnailErrorKey(videoId))) {
        return { ...base, status: 'failed', error: errorReason(await storage.readJson(bucket, thumbnailErrorKey(videoId))) };
      }
      const status = thumbnails.every((thumbnail) => outputs.has(thumbnail.key)) ? 'ready' : 'pending';
      return { ...base, status, ...(outputs.has(thumbnailMetaKey(videoId)) && (await outputsOf(bucket, videoId))) };
    },

    async thumbnails(tenantId, { limit, cursor }) {
      const { bucket } = await bucketOf(tenantId, 'read');
      const page = await storage.list(bucket, { prefix: THUMBNAIL_PREFIX, startAfter: cursor ? decodeCursor(cursor) : undefined, maxKeys: limit });
      const items = await Promise.all(
        page.objects.flatMap((object) => {
          const parsed = parseThumbnailKey(object.key);
          if (!parsed) return [];
          return [link(bucket, object.key, parsed.width).then((l) => ({ videoId: parsed.videoId, ...l, size: object.size, lastModified: object.lastModified.toISOString() }))];
        }),
      );
      const last = page.objects.at(-1);
      return { items, nextCursor: page.truncated && last ? encodeCursor(last.key) : null };
    },
  };
}
