// The tenant lifecycle the API drives: create, update, destroy, retry, cancel and preview, reads
// and the operation history, keys and key checks, event streams. A change inserts its rows and
// queues its job in one transaction, so no operation exists without its job and a duplicate
// create, on any replica, gives exactly one operation. It never runs an engine operation in a
// request, except a preview, which queues nothing.
import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import type { PgBoss } from 'pg-boss';
import { asJobDb, type Database, type Queryable } from '../db/database.js';
import { sendJob } from '../db/job-engine.js';
import { apiKeyPrefix, hashApiKey, newApiKey, tenantIdOfApiKey } from '../domain/api-keys.js';
import { InvalidRequest, KeyNotFound, OperationNotAllowed, OperationNotFound, StackBusy, TenantExists, TenantNotFound } from '../domain/errors.js';
import { canRetry, canUpdate, drivesStatus, isFinished, statusAfterDropped, statusWhileQueued, type OperationKind } from '../domain/tenant-lifecycle.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../domain/thumbnail-settings.js';
import { isStackLocked } from '../stacks/automation.js';
import type { TenantStacks } from '../stacks/tenant-stacks.js';
import type { OperationEventLog } from './operation-events.js';
import { OPERATIONS_QUEUE, operationJobPayload } from './operation-queue.js';
import * as records from './tenant-records.js';
import type { Operation, Page, Tenant, TenantLifecycle } from './tenant-types.js';

export type TenantLifecycleDeps = {
  db: Database;
  boss: PgBoss;
  stacks: Pick<TenantStacks, 'preview'>;
  events: OperationEventLog;
  operationTimeoutSeconds: number;
};

/** A page, or InvalidRequest when the records found no row for the cursor. */
function pageOrBadCursor<T>(page: Page<T> | undefined): Page<T> {
  if (!page) throw new InvalidRequest('the cursor is not one this list gave out (use nextCursor from the previous page)');
  return page;
}

export function createTenantLifecycle(deps: TenantLifecycleDeps): TenantLifecycle {
  const { db, boss } = deps;

  /** Inserts the operation and its job in the caller's transaction: neither exists without the other. */
  async function queueOperation(tx: Queryable, operation: { id: string; tenantId: string; kind: OperationKind; settingsVersion?: number }): Promise<Operation> {
    // The job's id is chosen here and kept on the row, so a cancel can reach the job.
    const jobId = randomUUID();
    const inserted = await records.insertOperation(tx, { ...operation, jobId });
    await sendJob(boss, OPERATIONS_QUEUE, operationJobPayload, { operationId: inserted.id }, { db: asJobDb(tx), singletonKey: operation.tenantId, id: jobId });
    return inserted;
  }

  /**
   * Queues `kind` for an existing tenant, in one transaction with the tenant row and its last
   * operation locked (in that order, as everywhere), so no replica claims that operation meanwhile.
   * `prepare` may change the tenant, or answer with an operation instead of queueing one.
   */
  async function queueFor(id: string, kind: OperationKind, prepare: (tx: Queryable, tenant: Tenant, last?: Operation) => Promise<Operation | undefined> | Operation | undefined) {
    const operation = await db.transaction(async (tx) => {
      const found = await records.getTenant(tx, id, { forUpdate: true });
      if (!found) throw new TenantNotFound(id);
      const last = found.lastOperationId ? await records.getOperation(tx, found.lastOperationId, { forUpdate: true }) : undefined;
      const answer = await prepare(tx, found, last);
      if (answer) return { operation: answer, queued: false };
      const tenant = (await records.getTenant(tx, id))!;
      const queued = await queueOperation(tx, { id: ulid(), tenantId: id, kind, settingsVersion: tenant.settingsVersion });
      if (drivesStatus(kind)) await records.updateTenant(tx, id, { status: statusWhileQueued(kind, tenant.outputs !== undefined), lastOperationId: queued.id });
      return { operation: queued, queued: true };
    });
    if (operation.queued) deps.events.changed(operation.operation.id);
    return operation.operation;
  }

  return {
    async provision({ id, settings }) {
      const apiKey = newApiKey(id);
      const operationId = ulid();
      const result = await db.transaction(async (tx) => {
        if (!(await records.insertTenant(tx, { id, status: 'provisioning', settings, lastOperationId: operationId }))) throw new TenantExists(id);
        await records.insertKey(tx, { id: ulid(), tenantId: id, hash: hashApiKey(apiKey), prefix: apiKeyPrefix(apiKey) });
        const operation = await queueOperation(tx, { id: operationId, tenantId: id, kind: 'up', settingsVersion: 1 });
        return { tenant: (await records.getTenant(tx, id))!, operation };
      });
      return { ...result, apiKey };
    },

    destroy: (id) =>
      queueFor(id, 'destroy', (_tx, _tenant, last) =>
        // A destroy already on its way is the answer to a second request.
        last?.kind === 'destroy' && !isFinished(last.status) ? last : undefined,
      ),

    retry: (id) =>
      queueFor(id, 'up', (_tx, tenant) => {
        if (!canRetry(tenant.status)) throw new OperationNotAllowed(`tenant "${id}" is ${tenant.status}: an operation is on its way; retry once it has ended`);
        return undefined;
      }),

    update: (id, settings) =>
      queueFor(id, 'up', async (tx, tenant, last) => {
        if (!canUpdate(tenant.status)) throw new OperationNotAllowed(`tenant "${id}" is being deleted; its settings can no longer change`);
        const { settingsVersion } = (await records.updateTenant(tx, id, { settings }))!;
        // An `up` not yet claimed reads the settings when it starts: it applies these, and answers for them.
        if (last?.kind === 'up' && last.status === 'queued') return records.setOperationSettingsVersion(tx, last.id, settingsVersion);
        return undefined;
      }),

    refresh: (id) =>
      queueFor(id, 'refresh', (_tx, tenant) => {
        if (!canUpdate(tenant.status)) throw new OperationNotAllowed(`tenant "${id}" is being deleted; there is nothing left to check for drift`);
        return undefined;
      }),

    async operations(id, page) {
      if (!(await records.getTenant(db, id))) throw new TenantNotFound(id);
      return pageOrBadCursor(await records.listOperations(db, id, page));
    },

    async cancel(id, operationId) {
      const cancelled = await db.transaction(async (tx) => {
        const tenant = await records.getTenant(tx, id, { forUpdate: true });
        if (!tenant) throw new TenantNotFound(id);
        const operation = await records.getOperation(tx, operationId, { forUpdate: true });
        if (!operation || operation.tenantId !== id) throw new OperationNotFound(id, operationId);
        // A running one ends on its replica: the engine run is cancelled, the stack refreshed.
        if (operation.status === 'running') return (await records.requestCancel(tx, operationId))!;
        const dropped = await records.dropQueuedOperation(tx, operationId, 'cancelled before it started');
        if (!dropped) throw new OperationNotAllowed(`operation "${operationId}" has already ended (${operation.status}); only a queued operation can be cancelled`);
        if (dropped.jobId) await boss.cancel(OPERATIONS_QUEUE, dropped.jobId, { db: asJobDb(tx) });
        if (tenant.lastOperationId === operationId) {
          // Nothing ran: the tenant is as the operation before this one left it (or is leaving it).
          const previous = await records.operationBefore(tx, id, operationId);
          const status = statusAfterDropped(previous && { kind: previous.kind === 'destroy' ? 'destroy' : 'up', status: previous.status }, tenant.outputs !== undefined);
          await records.updateTenant(tx, id, { status, ...(previous ? { lastOperationId: previous.id } : {}) });
        }
        return dropped.operation;
      });
      deps.events.changed(operationId);
      return cancelled;
    },

    async createKey(id) {
      const apiKey = newApiKey(id);
      const key = await db.transaction(async (tx) => {
        if (!(await records.getTenant(tx, id, { forUpdate: true }))) throw new TenantNotFound(id);
        const keyId = ulid();
        await records.insertKey(tx, { id: keyId, tenantId: id, hash: hashApiKey(apiKey), prefix: apiKeyPrefix(apiKey) });
        return (await records.getKey(tx, id, keyId))!;
      });
      return { key, apiKey };
    },

    async keys(id, page) {
      if (!(await records.getTenant(db, id))) throw new TenantNotFound(id);
      return pageOrBadCursor(await records.listKeys(db, id, page));
    },

    async revokeKey(id, keyId) {
      if (!(await records.getTenant(db, id))) throw new TenantNotFound(id);
      if (!(await records.revokeKey(db, id, keyId))) throw new KeyNotFound(id, keyId);
    },

    async preview(id, settings, signal) {
      const tenant = await records.getTenant(db, id);
      const stackSettings = tenant ? await records.stackSettingsOf(db, id) : undefined;
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(deps.operationTimeoutSeconds * 1000)]);
      return deps.stacks
        .preview(
          {
            tenantId: id,
            settings: settings ?? tenant?.settings ?? DEFAULT_THUMBNAIL_SETTINGS,
            stackSettings: stackSettings as never,
            // A preview changes nothing, the stack settings included.
            saveStackSettings: async () => {},
          },
          bounded,
        )
        .catch((error: unknown) => {
          // A preview answers a request: a busy stack is the caller's to retry, not a server error.
          throw isStackLocked(error) ? new StackBusy(id) : error;
        });
    },

    get: (id) => records.getTenant(db, id),
    list: () => records.listTenants(db),
    operation: (id) => records.getOperation(db, id),

    async authenticate(apiKey) {
      if (!tenantIdOfApiKey(apiKey)) return undefined;
      return records.useKey(db, hashApiKey(apiKey));
    },

    events: (operationId, afterSeq, signal) => deps.events.follow(operationId, afterSeq, signal),
  };
}
