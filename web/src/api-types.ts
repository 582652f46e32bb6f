// The shapes of the HTTP answers the console reads (see DESIGN.md, HTTP contract): only the
// fields it shows. Statuses come from the stacks' own types, so a new status fails the build here.
// Types only: it must never import runtime code from src/ into the browser bundle.
import type { ThumbnailSettings } from '../../src/domain/thumbnail-settings.js';
import type { Rollout, RolloutTenantStatus } from '../../src/tenants/image-rollouts.js';
import type { ApiKeyRecord, OperationKind, OperationStatus, Page, PreviewResult, TenantStatus } from '../../src/tenants/tenant-types.js';

export type { ApiKeyRecord, OperationKind, OperationStatus, Page, PreviewResult, Rollout, RolloutTenantStatus, TenantStatus, ThumbnailSettings };

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

export type VideoStatus = 'pending' | 'ready' | 'failed';

export type Video = { id: string; status: VideoStatus; error?: string; thumbnails: ThumbnailLink[] };

export type ThumbnailItem = ThumbnailLink & { videoId: string; size: number; lastModified: string };

export type ThumbnailPage = { items: ThumbnailItem[]; nextCursor?: string | null };
