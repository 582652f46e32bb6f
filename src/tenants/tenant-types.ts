// The records the tenant lifecycle keeps and the interface the server drives it through. The
// server sees records and event streams only: never a Pulumi type, a job or a SQL row.
import type { OperationKind, OperationStatus, TenantStatus } from '../domain/tenant-lifecycle.js';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { PreviewResult, TenantOutputs } from '../stacks/tenant-outputs.js';

export type { OperationKind, OperationStatus, TenantStatus, PreviewResult, TenantOutputs };

export type Tenant = {
  id: string;
  status: TenantStatus;
  /** The desired settings: what the next `up` applies. */
  settings: ThumbnailSettings;
  settingsVersion: number;
  /** The settings version the last successful `up` applied. */
  appliedSettingsVersion?: number;
  outputs?: TenantOutputs;
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
  /** A readable summary when status is failed, interrupted or cancelled. */
  error?: string;
};

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
  /** Re-runs `up` for a failed or interrupted tenant; throws OperationNotAllowed otherwise. */
  retry(id: string): Promise<Operation>;
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
