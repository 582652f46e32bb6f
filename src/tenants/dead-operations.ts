// The dead letter of tenant operations: a job whose attempts ran out (each one a replica that
// stopped or lost the database mid-operation) ends its operation as failed, with a reason, and
// its tenant too when it was the latest. It then removes the failed job, which under the queue's
// per-tenant ordering would otherwise hold back every later operation of that tenant. An operation
// it ends is reported to the metrics it is handed, with its last attempt's duration.
import type { JobWithMetadata, PgBoss } from 'pg-boss';
import type { Database } from '../db/database.js';
import { statusAfter } from '../domain/tenant-lifecycle.js';
import type { OperationEventLog } from './operation-events.js';
import type { OperationMetrics } from './operation-runner.js';
import { readJobPayload } from '../db/job-engine.js';
import { OPERATION_RETRY_LIMIT, OPERATIONS_QUEUE, operationJobPayload } from './operation-queue.js';
import { abandonOperation, getOperation, getTenant, updateTenant } from './tenant-records.js';

/** How long an operation's last attempt ran, from its record (0 when it never started). */
const lastAttemptSeconds = (operation: { startedAt?: string; finishedAt?: string }) =>
  operation.startedAt && operation.finishedAt ? Math.max(0, (Date.parse(operation.finishedAt) - Date.parse(operation.startedAt)) / 1000) : 0;

export function createDeadOperationHandler(deps: { db: Database; boss: PgBoss; events: OperationEventLog; metrics?: OperationMetrics }) {
  return async ([job]: Array<JobWithMetadata<{ operationId: string }>>) => {
    const { operationId } = readJobPayload(operationJobPayload, job!.data);
    const abandoned = await deps.db.transaction(async (tx) => {
      const found = await getOperation(tx, operationId);
      if (!found) return undefined;
      // The tenant row is locked before the operation's, as every transaction does (no deadlock).
      const tenant = await getTenant(tx, found.tenantId, { forUpdate: true });
      const operation = await abandonOperation(tx, operationId, {
        status: 'failed',
        error: `gave up after ${OPERATION_RETRY_LIMIT + 1} attempts: the replicas running it kept stopping or losing the database; retry the tenant`,
      });
      if (!operation) return undefined;
      if (tenant?.lastOperationId === operation.id) {
        const status = statusAfter(operation.kind, 'failed', tenant.status);
        if (status) await updateTenant(tx, tenant.id, { status });
      }
      return operation;
    });
    if (abandoned) deps.metrics?.operationFinished({ kind: abandoned.kind, outcome: abandoned.status, seconds: lastAttemptSeconds(abandoned) });
    deps.events.changed(operationId);
    if (job!.sourceId) await deps.boss.deleteJob(OPERATIONS_QUEUE, job!.sourceId);
  };
}
