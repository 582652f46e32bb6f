// The tenant and operation state machine, written down once: which statuses exist, which are
// final, and the status a tenant shows while an operation runs and after it ends. Pure facts:
// no I/O, and no other module decides a tenant's status on its own.

export const TENANT_STATUSES = ['provisioning', 'ready', 'failed', 'interrupted', 'deleting', 'updating'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const OPERATION_KINDS = ['up', 'destroy', 'refresh'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'interrupted', 'cancelled'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** An operation in one of these has ended: nothing writes to it again. */
export const FINISHED_OPERATION_STATUSES: readonly OperationStatus[] = ['succeeded', 'failed', 'interrupted', 'cancelled'];

export function isFinished(status: OperationStatus): boolean {
  return FINISHED_OPERATION_STATUSES.includes(status);
}

/** A tenant in one of these has an operation queued or running. */
export const TRANSITIONAL_TENANT_STATUSES: readonly TenantStatus[] = ['provisioning', 'deleting', 'updating'];

/**
 * The tenant's status from the moment an operation is queued: a destroy deletes; an `up` provisions
 * a tenant that has never been ready and updates one that has resources.
 */
export function statusWhileQueued(kind: 'up' | 'destroy', hasResources: boolean): TenantStatus {
  if (kind === 'destroy') return 'deleting';
  return hasResources ? 'updating' : 'provisioning';
}

/**
 * Whether an operation of this kind becomes the tenant's last one, whose end decides its status.
 * A refresh (a drift check) changes nothing and runs beside the tenant's status: it is in the
 * history only, so an `up` it queues behind still settles the tenant.
 */
export function drivesStatus(kind: OperationKind): kind is 'up' | 'destroy' {
  return kind !== 'refresh';
}

export const DRIFT_STATUSES = ['in-sync', 'drifted'] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

/**
 * The tenant's status once an operation ended. `undefined` means the record goes (a destroy
 * that succeeded) or stays as it was (a refresh changes no status).
 */
export function statusAfter(kind: OperationKind, outcome: 'succeeded' | 'failed' | 'interrupted' | 'cancelled', previous: TenantStatus): TenantStatus | undefined {
  if (kind === 'refresh') return undefined;
  if (outcome === 'succeeded') return kind === 'up' ? 'ready' : undefined;
  if (outcome === 'cancelled') return previous === 'provisioning' ? 'failed' : TRANSITIONAL_TENANT_STATUSES.includes(previous) ? 'interrupted' : previous;
  return outcome;
}

/**
 * A tenant with no operation on its way may be retried: a failed or interrupted one to reach its
 * goal, a ready one to run its stack again (a new function image, say). A retry is an `up`.
 */
export function canRetry(status: TenantStatus): boolean {
  return !TRANSITIONAL_TENANT_STATUSES.includes(status);
}

/** Any tenant but one being deleted takes new settings: they go to its next `up`. */
export function canUpdate(status: TenantStatus): boolean {
  return status !== 'deleting';
}

/**
 * The tenant's status once its latest operation is dropped before it ran (cancelled while queued):
 * the stack is as the operation before it left it, or is about to leave it. `previous` is the newest
 * earlier `up` or destroy not itself dropped; a tenant without one never had a stack: failed, so a
 * retry provisions it.
 */
export function statusAfterDropped(previous: { kind: 'up' | 'destroy'; status: OperationStatus } | undefined, hasResources: boolean): TenantStatus {
  if (!previous) return 'failed';
  if (!isFinished(previous.status)) return statusWhileQueued(previous.kind, hasResources);
  if (previous.status === 'succeeded') return previous.kind === 'up' ? 'ready' : 'failed';
  return previous.status === 'interrupted' ? 'interrupted' : 'failed';
}
