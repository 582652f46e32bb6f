// The work behind /videos and /thumbnails: streams an upload into the tenant's bucket and records
// it in the catalog, answers every read from the catalog with presigned links (no read lists a
// bucket or reads an object), deletes a video through the catalog, and regenerates one (pending
// again in the catalog, and a run of the tenant's function started in the same transaction). The
// catalog and the bucket are the truth: this service holds no state of its own. It also gives
// direct uploads the same tenant check and the same answer as a streamed upload.
import type { Readable } from 'node:stream';
import { InvalidRequest, TenantNotFound, TenantNotReady } from '../../domain/errors.js';
import {
  newVideoId,
  posterKey,
  previewKey,
  safeVideoName,
  storyboardIndexKey,
  storyboardSheetKey,
  storyboardVttKey,
  thumbnailKey,
  VIDEO_AT_METADATA,
  videoKey,
} from '../../domain/video-layout.js';
import type { FrameAt, ThumbnailSettings } from '../../domain/thumbnail-settings.js';
import { newRegenerationId } from '../../domain/thumbnail-regeneration.js';
import type { CatalogApi } from '../../catalog/video-catalog.js';
import { listItemOf, type CatalogPage, type CatalogPageRequest, type CatalogVideo, type VideoListItem, type VideoStatus } from '../../catalog/catalog-types.js';
import type { Tenant, TenantLifecycle } from '../../tenants/tenant-types.js';
import type { ObjectStorage } from '../storage/object-storage.js';
import type { StartRegeneration } from './regeneration-runs.js';
import { VideoIntake } from './video-intake.js';

export type ThumbnailLink = { width: number; key: string; url: string; expiresAt: string };
export type UploadedVideo = {
  id: string;
  tenant: string;
  key: string;
  size: number;
  contentType: string;
  status: 'pending';
  thumbnails: ThumbnailLink[];
};
/** What a ready video's outputs are, as presigned links. */
export type VideoOutputLinks = {
  poster?: { url: string; atSeconds: number; score: number | null };
  /** `images` in sheet order: storyboard.vtt and storyboard.json name the sheets `storyboard-<n>.<ext>`. */
  storyboard?: { vtt: string; json: string; images: string[] };
  preview?: { url: string };
};
export type VideoState = VideoListItem & { tenant: string; key: string; codec?: string; error?: string; thumbnails: ThumbnailLink[] } & VideoOutputLinks;
export type ThumbnailItem = ThumbnailLink & { videoId: string; size: number; lastModified: string };

export type VideoService = {
  /** `at` overrides the tenant's setting for this one video: it travels as the object's metadata to the thumbnailer. */
  upload(input: { tenantId: string; fileName: string; file: Readable; at?: FrameAt }): Promise<UploadedVideo>;
  get(tenantId: string, videoId: string): Promise<VideoState>;
  list(tenantId: string, page: CatalogPageRequest & { status?: VideoStatus }): Promise<CatalogPage<VideoListItem>>;
  thumbnails(tenantId: string, page: CatalogPageRequest): Promise<CatalogPage<ThumbnailItem>>;
  /** The video and every output removed; throws VideoNotFound. */
  delete(tenantId: string, videoId: string): Promise<void>;
  /**
   * The stills extracted again from the stored video, at `at` (absent: the video's own, else the
   * tenant's setting): the video pending until that run's outputs arrive. Throws TenantNotReady,
   * VideoNotFound, or VideoPending while a run is on its way.
   */
  regenerate(tenantId: string, videoId: string, at?: FrameAt): Promise<VideoState>;
};

const MiB = 1024 * 1024;
const S3_MAX_PARTS = 10_000;
const S3_MIN_PART_BYTES = 5 * MiB;
/** The longest client file name a video keeps as its name. */
const MAX_NAME_LENGTH = 255;

/** The smallest whole-MiB part size (at least S3's 5 MiB) that fits `maxBytes` in 10,000 parts. */
export function uploadPartSize(maxBytes: number): number {
  return Math.max(S3_MIN_PART_BYTES, Math.ceil(maxBytes / S3_MAX_PARTS / MiB) * MiB);
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

/** A link per width: where the thumbnails are (or will be, once the thumbnailer ran). */
function thumbnailLinks(presigning: Presigning, bucket: string, videoId: string, { widths, format }: Pick<ThumbnailSettings, 'widths' | 'format'>): Promise<ThumbnailLink[]> {
  return Promise.all(widths.map((width) => thumbnailLink(presigning, bucket, thumbnailKey(videoId, width, format), width)));
}

/** The answer to a video stored in the tenant's bucket, streamed (POST /videos) or direct (POST /uploads/:id/complete). */
export async function acceptedVideo(presigning: Presigning, tenant: Tenant, bucket: string, video: { id: string; key: string; size: number; contentType: string }): Promise<UploadedVideo> {
  const thumbnails = await thumbnailLinks(presigning, bucket, video.id, tenant.settings);
  return { ...video, tenant: tenant.id, status: 'pending', thumbnails };
}

/** The name a video keeps in the catalog: the client's file name (bounded), else its key's last part. */
export function catalogName(fileName: string, key: string): string {
  return fileName.slice(0, MAX_NAME_LENGTH) || key.slice(key.lastIndexOf('/') + 1);
}

export function createVideoService(deps: {
  tenants: Pick<TenantLifecycle, 'get'>;
  catalog: CatalogApi;
  storage: ObjectStorage;
  /** How a regeneration reaches the tenant's function (a job locally, an invoke on aws). */
  startRegeneration: StartRegeneration;
  urlTtlSeconds: number;
  maxUploadBytes: number;
}): VideoService {
  const { tenants, catalog, storage, startRegeneration, urlTtlSeconds, maxUploadBytes } = deps;
  const partSize = uploadPartSize(maxUploadBytes);

  const presigning = { storage, urlTtlSeconds };
  const bucketOf = (tenantId: string, purpose: BucketPurpose) => tenantBucket(tenants, tenantId, purpose);
  const url = async (bucket: string, key: string) => (await storage.presignGet(bucket, key, urlTtlSeconds)).url;
  const link = (bucket: string, key: string, width: number) => thumbnailLink(presigning, bucket, key, width);

  /** The outputs the run that made the video ready recorded (meta.json lists them; they all exist). */
  async function outputLinks(bucket: string, video: CatalogVideo): Promise<VideoOutputLinks> {
    const { outputs, id } = video;
    if (!outputs) return {};
    const { format } = outputs;
    const sheets = Array.from({ length: outputs.storyboardSheets ?? 0 }, (_, index) => url(bucket, storyboardSheetKey(id, index, format)));
    return {
      poster: { url: await url(bucket, posterKey(id, format)), ...outputs.poster },
      ...(outputs.storyboardSheets !== undefined && {
        storyboard: { vtt: await url(bucket, storyboardVttKey(id)), json: await url(bucket, storyboardIndexKey(id)), images: await Promise.all(sheets) },
      }),
      ...(outputs.preview && { preview: { url: await url(bucket, previewKey(id)) } }),
    };
  }

  /** A video as GET /videos/:id shows it. */
  async function stateOf(tenant: Tenant, bucket: string, video: CatalogVideo): Promise<VideoState> {
    // Made once: the thumbnails its last run made. Before that: where the tenant's settings will put them.
    const made = video.outputs ?? tenant.settings;
    return {
      ...listItemOf(video),
      tenant: tenant.id,
      key: video.key,
      ...(video.codec !== undefined && { codec: video.codec }),
      ...(video.error !== undefined && { error: video.error }),
      thumbnails: await thumbnailLinks(presigning, bucket, video.id, made),
      ...(await outputLinks(bucket, video)),
    };
  }

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
        const video = { tenantId: tenant.id, id, name: catalogName(fileName, key), key, size: intake.bytes, contentType: type.contentType };
        try {
          await catalog.recordUpload({ ...video, createdAt: new Date().toISOString() });
        } catch (error) {
          // Not listed, so not kept: the store's event for it finds no object and records nothing.
          await storage.deleteObjects(bucket, [key]).catch(() => undefined);
          throw error;
        }
        return acceptedVideo(presigning, tenant, bucket, video);
      } catch (error) {
        // Whatever failed, the rest of the request is never read: its answer closes the connection (plugins/refused-bodies.ts).
        file.unpipe(intake);
        intake.destroy();
        throw error;
      }
    },

    async get(tenantId, videoId) {
      const { tenant, bucket } = await bucketOf(tenantId, 'read');
      return stateOf(tenant, bucket, await catalog.video(tenant.id, videoId));
    },

    async list(tenantId, page) {
      const { tenant } = await bucketOf(tenantId, 'read');
      return catalog.videos(tenant.id, page);
    },

    async thumbnails(tenantId, page) {
      const { tenant, bucket } = await bucketOf(tenantId, 'read');
      const found = await catalog.thumbnails(tenant.id, page);
      const items = await Promise.all(
        found.items.map(async (thumbnail) => ({ videoId: thumbnail.videoId, ...(await link(bucket, thumbnail.key, thumbnail.width)), size: thumbnail.size, lastModified: thumbnail.createdAt })),
      );
      return { items, nextCursor: found.nextCursor };
    },

    async delete(tenantId, videoId) {
      const { tenant, bucket } = await bucketOf(tenantId, 'read');
      await catalog.deleteVideo(tenant.id, bucket, videoId);
    },

    async regenerate(tenantId, videoId, at) {
      // The tenant's function runs it: a tenant being updated or deleted takes none.
      const { tenant, bucket } = await bucketOf(tenantId, 'upload');
      const { functionName } = tenant.outputs!;
      const regeneration = { id: newRegenerationId(), ...(at !== undefined && { at }) };
      const video = await catalog.regenerate(tenant.id, videoId, regeneration.id, (video, tx) =>
        startRegeneration({ functionName, bucket, key: video.key, size: video.size, regeneration }, tx),
      );
      return stateOf(tenant, bucket, video);
    },
  };
}
