// The records the tenant lifecycle keeps and the interface the server drives it through. The
// server sees records and event streams only: never a Pulumi type, a job or a SQL row.
import type { OperationKind, OperationStatus, TenantStatus } from '../domain/tenant-lifecycle.js';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { DriftStatus } from '../domain/tenant-lifecycle.js';
import type { DriftChange, PreviewResult, TenantOutputs } from '../stacks/tenant-outputs.js';

export type { OperationKind, OperationStatus, TenantStatus, PreviewResult, TenantOutputs, DriftChange };

/** What the last drift check found: the resources whose cloud side differs from the stack's state. */
export type TenantDrift = { status: DriftStatus; checkedAt: string; changes: DriftChange[] };

export type Tenant = {
  id: string;
  status: TenantStatus;
  /** The desired settings: what the next `up` applies. */
  settings: ThumbnailSettings;
  settingsVersion: number;
  /** The settings version the last successful `up` applied. */
  appliedSettingsVersion?: number;
  outputs?: TenantOutputs;
  /** The last drift check's result, if one has run. */
  drift?: TenantDrift;
  createdAt: string;
  updatedAt: string;
  lastOperationId?: string;
};

export type Operation = {
  id: string;
  tenantId: string;
  kind: OperationKind;
  status: OperationStatus;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** How many times a replica has started it (a takeover starts it again). */
  attempt: number;
  /** For an `up`: the settings version it applies (queued changes coalesce into it). */
  settingsVersion?: number;
  /** When a cancel was asked of it while it ran: the attempt ends the engine run and refreshes the stack. */
  cancelRequestedAt?: string;
  /** A readable summary when status is failed, interrupted or cancelled. */
  error?: string;
};

/** A tenant API key as listings show it: never the key, never its hash. */
export type ApiKeyRecord = { id: string; prefix: string; createdAt: string; lastUsedAt?: string };

/** A page request: at most `limit` items after the one the cursor names. */
export type PageRequest = { limit: number; cursor?: string };
/** A page of items, newest first; `nextCursor` is null on the last page. */
export type Page<T> = { items: T[]; nextCursor: string | null };

/** One engine event as the Automation API reported it, numbered in arrival order within its operation. */
export type OperationEvent = { seq: number; at: string; event: Record<string, unknown> };

/** What an events stream yields: every event from the first, then one `done`. */
export type OperationStreamItem =
  | { type: 'event'; data: OperationEvent }
  | { type: 'done'; data: { operationId: string; status: OperationStatus; error?: string } };

export interface TenantLifecycle {
  /** Creates the tenant, its first key and its `up` in one transaction; throws TenantExists. Returns at once. */
  provision(input: { id: string; settings: ThumbnailSettings }): Promise<{ tenant: Tenant; operation: Operation; apiKey: string }>;
  /** Queues a destroy (or answers the one already on its way); throws TenantNotFound. */
  destroy(id: string): Promise<Operation>;
  /** Re-runs `up` for a tenant with no operation on its way (failed, interrupted or ready); throws OperationNotAllowed otherwise. */
  retry(id: string): Promise<Operation>;
  /**
   * New desired settings and an `up` to apply them; an `up` still queued takes them instead of a
   * second one (changes coalesce to the latest). Throws TenantNotFound, or OperationNotAllowed while deleting.
   */
  update(id: string, settings: ThumbnailSettings): Promise<Operation>;
  /**
   * Queues a drift check (a refresh preview, changing nothing); its result lands in the tenant's
   * `drift`. Throws TenantNotFound, or OperationNotAllowed while deleting.
   */
  refresh(id: string): Promise<Operation>;
  /** The tenant's operations, newest first; throws TenantNotFound, or InvalidRequest for a bad cursor. */
  operations(id: string, page: PageRequest): Promise<Page<Operation>>;
  /**
   * Cancels an operation: a queued one is dropped as cancelled, with its job; a running one is
   * asked to end (its engine run is cancelled, the stack refreshed, and it ends as cancelled).
   * Throws OperationNotFound, or OperationNotAllowed when it has ended.
   */
  cancel(id: string, operationId: string): Promise<Operation>;
  /** A new key for the tenant: the key itself is in this answer only. Throws TenantNotFound. */
  createKey(id: string): Promise<{ key: ApiKeyRecord; apiKey: string }>;
  /** The tenant's live keys, newest first; throws TenantNotFound, or InvalidRequest for a bad cursor. */
  keys(id: string, page: PageRequest): Promise<Page<ApiKeyRecord>>;
  /** Revokes a key: the next request presenting it, on any replica, is refused. Throws KeyNotFound. */
  revokeKey(id: string, keyId: string): Promise<void>;
  /** The program's plan, changing nothing and queueing nothing; StackBusy if a run holds the stack. */
  preview(id: string, settings: ThumbnailSettings | undefined, signal: AbortSignal): Promise<PreviewResult>;
  get(id: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  operation(id: string): Promise<Operation | undefined>;
  /** The tenant a presented API key belongs to, if the key is known and not revoked. */
  authenticate(apiKey: string): Promise<string | undefined>;
  /** Replays the operation's events after `afterSeq`, then follows it live (on any replica) until it ends. */
  events(operationId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<OperationStreamItem>;
}
