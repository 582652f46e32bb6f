// The shapes of the HTTP answers the console reads (see DESIGN.md, HTTP contract): only the
// fields it shows. Statuses come from the stacks' own types, so a new status fails the build here.
// Types only: it must never import runtime code from src/ into the browser bundle.
import type { ThumbnailSettings } from '../../src/domain/thumbnail-settings.js';
import type { Rollout, RolloutTenantStatus } from '../../src/tenants/image-rollouts.js';
import type { ApiKeyRecord, OperationKind, OperationStatus, Page, PreviewResult, TenantStatus } from '../../src/tenants/tenant-types.js';
import type { VideoStatus } from '../../src/catalog/catalog-types.js';
import type { StoryboardIndex } from '../../src/domain/video-layout.js';
import type { WebhookEventType } from '../../src/domain/webhook-events.js';
import type { DeliveryAttempt, DeliveryStatus, WebhookDelivery as Delivery } from '../../src/webhooks/webhook-types.js';

export type {
  ApiKeyRecord,
  DeliveryAttempt,
  DeliveryStatus,
  OperationKind,
  OperationStatus,
  Page,
  PreviewResult,
  Rollout,
  RolloutTenantStatus,
  StoryboardIndex,
  TenantStatus,
  ThumbnailSettings,
  VideoStatus,
  WebhookEventType,
};

export type Problem = { type?: string; title?: string; status?: number; detail?: string };

export type OperationSummary = { id: string; kind: OperationKind; status: OperationStatus; error?: string };

/** One entry of GET /tenants/:id/operations. */
export type OperationRecord = OperationSummary & {
  attempt: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  settingsVersion?: number;
  cancelRequestedAt?: string;
};

/** The 202 of every call that queues an operation (PATCH, retry, delete). */
export type OperationAccepted = { id: string; status: TenantStatus; operation: OperationRecord };

/** POST /tenants/:id/keys: the key itself is in this answer only. */
export type CreatedKey = ApiKeyRecord & { apiKey: string };

export type TenantSummary = { id: string; status: TenantStatus; createdAt: string };

export type TenantDetail = TenantSummary & {
  settings: ThumbnailSettings;
  settingsVersion: number;
  appliedSettingsVersion?: number;
  lastOperation?: OperationSummary;
};

export type CreatedTenant = { id: string; status: TenantStatus; apiKey: string; operation: OperationSummary };

export type ThumbnailLink = { width: number; key: string; url: string; expiresAt: string };

/** One video of GET /videos (the catalog). */
export type VideoListItem = {
  id: string;
  name: string;
  status: VideoStatus;
  size: number;
  contentType: string;
  createdAt: string;
  readyAt?: string;
  durationSeconds?: number;
  width?: number;
  height?: number;
};

export type VideoPage = { items: VideoListItem[]; nextCursor: string | null };

/** GET /videos/:id: the list item's fields, the outputs' links, and the poster, storyboard and preview its run made. */
export type Video = VideoListItem & {
  key: string;
  error?: string;
  codec?: string;
  thumbnails: ThumbnailLink[];
  poster?: { url: string; atSeconds: number; score: number | null };
  storyboard?: { vtt: string; json: string; images: string[] };
  preview?: { url: string };
};

/** The 201 of POST /videos and POST /uploads/:id/complete: stored, its thumbnails on their way. */
export type UploadedVideo = { id: string; key: string; size: number; contentType: string; status: 'pending'; thumbnails: ThumbnailLink[] };

export type PartUrl = { partNumber: number; url: string };

/** POST /uploads: a presigned PUT URL for every part. */
export type CreatedUpload = { uploadId: string; videoId: string; partSize: number; parts: PartUrl[]; expiresAt: string };

/** GET /uploads/:id: the parts the store holds, and fresh URLs for the ones it does not. */
export type UploadState = {
  uploadId: string;
  videoId: string;
  fileName: string;
  size: number;
  partSize: number;
  status: 'open' | 'completed';
  expiresAt: string;
  received: ReceivedPart[];
  parts: PartUrl[];
};

export type ReceivedPart = { partNumber: number; etag: string; size: number };

export type WebhookEndpoint = { id: string; url: string; events: WebhookEventType[] | null; createdAt: string };

/** POST /webhooks: the signing secret is in this answer only. */
export type CreatedWebhookEndpoint = WebhookEndpoint & { secret: string };

/** One message of GET /webhooks/:id/deliveries; `log` is its attempts, newest first. */
export type WebhookDelivery = Omit<Delivery, 'endpointId' | 'payload'> & { payload: { type: WebhookEventType; timestamp: string; data: Record<string, unknown> } };
