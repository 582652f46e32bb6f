// The shapes of the HTTP answers the console reads (see DESIGN.md, HTTP contract): only the
// fields it shows. Statuses come from the stacks' own types, so a new status fails the build here.
// Types only: it must never import runtime code from src/ into the browser bundle.
import type { OperationKind, OperationStatus, TenantStatus } from '../../src/tenants/tenant-types.js';

export type { OperationStatus, TenantStatus };

export type Problem = { type?: string; title?: string; status?: number; detail?: string };

export type OperationSummary = { id: string; kind: OperationKind; status: OperationStatus; error?: string };

export type TenantSummary = { id: string; status: TenantStatus; createdAt: string };

export type TenantDetail = TenantSummary & {
  settings: { widths: number[]; format: string; at: number | string };
  lastOperation?: OperationSummary;
};

export type CreatedTenant = { id: string; status: TenantStatus; apiKey: string; operation: OperationSummary };

export type ThumbnailLink = { width: number; key: string; url: string; expiresAt: string };

export type VideoStatus = 'pending' | 'ready' | 'failed';

export type Video = { id: string; status: VideoStatus; error?: string; thumbnails: ThumbnailLink[] };

export type ThumbnailItem = ThumbnailLink & { videoId: string; size: number; lastModified: string };

export type ThumbnailPage = { items: ThumbnailItem[]; nextCursor?: string | null };
