// The tenant lifecycle the API drives: create, destroy, retry and preview, reads, key checks and
// event streams. A change inserts its rows and queues its job in one transaction, so no operation
// exists without its job and a duplicate create, on any replica, gives exactly one operation.
// It never runs an engine operation in a request, except a preview, which queues nothing.
import { ConcurrentUpdateError } from '@pulumi/pulumi/automation/index.js';
import { ulid } from 'ulid';
import type { PgBoss } from 'pg-boss';
import { asJobDb, type Database, type Queryable } from '../db/database.js';
import { sendJob } from '../db/job-engine.js';
import { hashApiKey, newApiKey, tenantIdOfApiKey } from '../domain/api-keys.js';
import { OperationNotAllowed, StackBusy, TenantExists, TenantNotFound } from '../domain/errors.js';
import { canRetry, isFinished, statusWhileQueued, type OperationKind } from '../domain/tenant-lifecycle.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../domain/thumbnail-settings.js';
import type { TenantStacks } from '../stacks/tenant-stacks.js';
import type { OperationEventLog } from './operation-events.js';
import { OPERATIONS_QUEUE, operationJobPayload } from './operation-queue.js';
import * as records from './tenant-records.js';
import type { Operation, TenantLifecycle } from './tenant-types.js';

export type TenantLifecycleDeps = {
  db: Database;
  boss: PgBoss;
  stacks: Pick<TenantStacks, 'preview'>;
  events: OperationEventLog;
  operationTimeoutSeconds: number;
};

/** The key's shown part in listings: enough to tell keys apart, far too little to use. */
const keyPrefix = (apiKey: string) => apiKey.slice(0, apiKey.lastIndexOf('_') + 5);

export function createTenantLifecycle(deps: TenantLifecycleDeps): TenantLifecycle {
  const { db, boss } = deps;

  /** Inserts the operation and its job in the caller's transaction: neither exists without the other. */
  async function queueOperation(tx: Queryable, operation: { id: string; tenantId: string; kind: OperationKind; settingsVersion?: number }): Promise<Operation> {
    const inserted = await records.insertOperation(tx, operation);
    await sendJob(boss, OPERATIONS_QUEUE, operationJobPayload, { operationId: inserted.id }, { db: asJobDb(tx), singletonKey: operation.tenantId });
    return inserted;
  }

  /** Queues `kind` for an existing tenant, in one transaction with the tenant row locked. */
  async function queueFor(id: string, kind: OperationKind, check: (tenant: NonNullable<Awaited<ReturnType<typeof records.getTenant>>>, last?: Operation) => Operation | undefined) {
    const operation = await db.transaction(async (tx) => {
      const tenant = await records.getTenant(tx, id, { forUpdate: true });
      if (!tenant) throw new TenantNotFound(id);
      const last = tenant.lastOperationId ? await records.getOperation(tx, tenant.lastOperationId) : undefined;
      const answer = check(tenant, last);
      if (answer) return { operation: answer, queued: false };
      const queued = await queueOperation(tx, { id: ulid(), tenantId: id, kind, settingsVersion: tenant.settingsVersion });
      await records.updateTenant(tx, id, { status: statusWhileQueued(kind, tenant.outputs !== undefined), lastOperationId: queued.id });
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
        await records.insertKey(tx, { id: ulid(), tenantId: id, hash: hashApiKey(apiKey), prefix: keyPrefix(apiKey) });
        const operation = await queueOperation(tx, { id: operationId, tenantId: id, kind: 'up', settingsVersion: 1 });
        return { tenant: (await records.getTenant(tx, id))!, operation };
      });
      return { ...result, apiKey };
    },

    destroy: (id) =>
      queueFor(id, 'destroy', (_tenant, last) =>
        // A destroy already on its way is the answer to a second request.
        last?.kind === 'destroy' && !isFinished(last.status) ? last : undefined,
      ),

    retry: (id) =>
      queueFor(id, 'up', (tenant) => {
        if (!canRetry(tenant.status)) throw new OperationNotAllowed(`tenant "${id}" is ${tenant.status}; only a failed or interrupted tenant can be retried`);
        return undefined;
      }),

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
          throw error instanceof ConcurrentUpdateError ? new StackBusy(id) : error;
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
