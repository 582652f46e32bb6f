// What one entry of a tenant's operation history says beyond its fields: whether it can still be
// cancelled, how long it ran, and its kind in words. Pure; it never guesses a status.
import type { OperationKind, OperationRecord, OperationStatus } from '../api-types.js';

export const KIND_NAMES: Record<OperationKind, string> = { up: 'up', destroy: 'destroy', refresh: 'drift check' };

const UNFINISHED: readonly OperationStatus[] = ['queued', 'running'];

export function isUnfinished(operation: Pick<OperationRecord, 'status'>): boolean {
  return UNFINISHED.includes(operation.status);
}

/** A queued operation, or a running one whose cancel has not been asked yet (asking again changes nothing). */
export function canCancel(operation: Pick<OperationRecord, 'status' | 'cancelRequestedAt'>): boolean {
  return operation.status === 'queued' || (operation.status === 'running' && operation.cancelRequestedAt === undefined);
}

/** "6 s", "2 min 5 s", "1 h 3 min" from start to end; undefined until it has both. */
export function runTime(operation: Pick<OperationRecord, 'startedAt' | 'finishedAt'>): string | undefined {
  if (!operation.startedAt || !operation.finishedAt) return undefined;
  const seconds = Math.max(0, Math.round((Date.parse(operation.finishedAt) - Date.parse(operation.startedAt)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
