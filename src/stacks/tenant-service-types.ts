// The narrow interface the server uses to drive tenant stacks. The server sees records and event
// streams only: never a Pulumi type, never a ConcurrentUpdateError.
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';

export type TenantStatus = 'provisioning' | 'ready' | 'failed' | 'interrupted' | 'deleting' | 'updating';
export type OperationKind = 'up' | 'destroy' | 'refresh';
export type OperationStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted';

export type TenantOutputs = {
  bucket: string;
  bucketArn: string;
  functionName: string;
  functionArn: string;
  region: string;
};

export type Tenant = {
  id: string;
  status: TenantStatus;
  settings: ThumbnailSettings;
  apiKeyHash: string;
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
  /** A readable summary when status is failed or interrupted. */
  error?: string;
};

/** One engine event as the Automation API reported it, numbered in arrival order. */
export type OperationEvent = { seq: number; at: string; event: Record<string, unknown> };

/** What an events stream yields: every event from the first, then one `done`. */
export type OperationStreamItem =
  | { type: 'event'; data: OperationEvent }
  | { type: 'done'; data: { operationId: string; status: OperationStatus; error?: string } };

export type PreviewResult = {
  changes: { create: number; update: number; delete: number; same: number };
  steps: Array<{ op: string; type: string; name: string; urn: string }>;
};

export interface TenantService {
  /** Creates the tenant record and queues its `up`; throws TenantExists. Returns at once. */
  provision(input: { id: string; settings: ThumbnailSettings; apiKeyHash: string }): Promise<{ tenant: Tenant; operation: Operation }>;
  /** Queues a destroy; when it succeeds the stack and the record are removed. Throws TenantNotFound. */
  destroy(id: string): Promise<Operation>;
  /** Re-runs `up` for a failed or interrupted tenant; throws OperationNotAllowed otherwise. */
  retry(id: string): Promise<Operation>;
  /** The program's plan for a new or existing tenant, changing nothing; StackBusy if another run holds the stack. */
  preview(id: string, settings?: ThumbnailSettings): Promise<PreviewResult>;
  get(id: string): Tenant | undefined;
  list(): Tenant[];
  operation(id: string): Operation | undefined;
  /** Replays the operation's events from the start, then follows it live until it ends. */
  events(operationId: string, signal?: AbortSignal): AsyncIterable<OperationStreamItem>;
  /** Waits for running operations up to a bound, then stops accepting work. */
  close(): Promise<void>;
}
