// The work behind /videos and /thumbnails: streams an upload into the tenant's bucket and records
// it in the catalog, answers every read from the catalog with presigned links (no read lists a
// bucket or reads an object), and deletes a video through the catalog. The catalog and the bucket
// are the truth: this service holds no state of its own.
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
  type ThumbnailFormat,
} from '../../domain/video-layout.js';
import type { FrameAt } from '../../domain/thumbnail-settings.js';
import type { CatalogApi } from '../../catalog/video-catalog.js';
import { listItemOf, type CatalogPage, type CatalogPageRequest, type CatalogVideo, type VideoListItem, type VideoStatus } from '../../catalog/catalog-types.js';
import type { Tenant, TenantLifecycle } from '../../tenants/tenant-types.js';
import type { ObjectStorage } from '../storage/object-storage.js';
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

export function createVideoService(deps: {
  tenants: Pick<TenantLifecycle, 'get'>;
  catalog: CatalogApi;
  storage: ObjectStorage;
  urlTtlSeconds: number;
  maxUploadBytes: number;
}): VideoService {
  const { tenants, catalog, storage, urlTtlSeconds, maxUploadBytes } = deps;
  const partSize = uploadPartSize(maxUploadBytes);

  /** The tenant's bucket; uploads need a ready tenant, reads only an existing bucket. */
  async function bucketOf(tenantId: string, purpose: 'upload' | 'read'): Promise<{ tenant: Tenant; bucket: string }> {
    const tenant = await tenants.get(tenantId);
    if (!tenant) throw new TenantNotFound(tenantId);
    const ready = purpose === 'upload' ? tenant.status === 'ready' : tenant.status !== 'provisioning';
    if (!ready || !tenant.outputs) throw new TenantNotReady(tenantId, tenant.status);
    return { tenant, bucket: tenant.outputs.bucket };
  }

  const url = (bucket: string, key: string) => storage.presignGet(bucket, key, urlTtlSeconds);

  async function link(bucket: string, key: string, width: number): Promise<ThumbnailLink> {
    const expiresAt = new Date(Date.now() + urlTtlSeconds * 1000).toISOString();
    return { width, key, url: await url(bucket, key), expiresAt };
  }

  const links = (bucket: string, videoId: string, widths: number[], format: ThumbnailFormat) =>
    Promise.all(widths.map((width) => link(bucket, thumbnailKey(videoId, width, format), width)));

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

  return {
    async upload({ tenantId, fileName, file, at }) {
      const intake = new VideoIntake(maxUploadBytes);
      try {
        const { tenant, bucket } = await bucketOf(tenantId, 'upload');
        // The client left mid-upload: fail the intake, which aborts the multipart upload.
        file.once('error', () => intake.destroy(new InvalidRequest('the client closed the connection before the upload finished')));
        file.pipe(intake);
        const type = await intake.type;
        const id = newVideoId();
        const key = videoKey(id, safeVideoName(fileName, type.extension));
        const metadata = at === undefined ? undefined : { [VIDEO_AT_METADATA]: String(at) };
        await storage.upload({ bucket, key, body: intake, contentType: type.contentType, partSize, metadata });
        const video = { tenantId: tenant.id, id, name: fileName.slice(0, MAX_NAME_LENGTH) || key.slice(key.lastIndexOf('/') + 1), key, size: intake.bytes, contentType: type.contentType };
        try {
          await catalog.recordUpload({ ...video, createdAt: new Date().toISOString() });
        } catch (error) {
          // Not listed, so not kept: the store's event for it finds no object and records nothing.
          await storage.deleteObjects(bucket, [key]).catch(() => undefined);
          throw error;
        }
        const { settings } = tenant;
        return { id, tenant: tenant.id, key, size: video.size, contentType: video.contentType, status: 'pending', thumbnails: await links(bucket, id, settings.widths, settings.format) };
      } catch (error) {
        // Whatever failed, read the rest of the request so the client gets its answer.
        file.unpipe(intake);
        intake.destroy();
        file.resume();
        throw error;
      }
    },

    async get(tenantId, videoId) {
      const { tenant, bucket } = await bucketOf(tenantId, 'read');
      const video = await catalog.video(tenant.id, videoId);
      // Ready: the thumbnails its run made. Before that: where the tenant's settings will put them.
      const { widths, format } = video.outputs ?? tenant.settings;
      return {
        ...listItemOf(video),
        tenant: tenant.id,
        key: video.key,
        ...(video.codec !== undefined && { codec: video.codec }),
        ...(video.error !== undefined && { error: video.error }),
        thumbnails: await links(bucket, video.id, widths, format),
        ...(await outputLinks(bucket, video)),
      };
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
  };
}
