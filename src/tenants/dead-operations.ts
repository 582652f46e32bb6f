// The dead letter of tenant operations: a job whose attempts ran out (each one a replica that
// stopped or lost the database mid-operation) ends its operation as failed, with a reason, and
// its tenant too when it was the latest. It then removes the failed job, which under the queue's
// per-tenant ordering would otherwise hold back every later operation of that tenant. An operation
// it ends is reported to the metrics it is handed, with its last attempt's duration, and announced
// to the webhook event sink.
import type { JobWithMetadata, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { statusAfter } from '../domain/tenant-lifecycle.js';
import type { WebhookEventSink } from '../domain/webhook-events.js';
import type { OperationEventLog } from './operation-events.js';
import type { OperationMetrics } from './operation-runner.js';
import { announceOperationEnd, type OperationEnd } from './operation-webhooks.js';
import { readJobPayload } from '../db/job-engine.js';
import { OPERATION_RETRY_LIMIT, OPERATIONS_QUEUE, operationJobPayload } from './operation-queue.js';
import { abandonOperation, getOperation, getTenant, updateTenant } from './tenant-records.js';

/** How long an operation's last attempt ran, from its record (0 when it never started). */
const lastAttemptSeconds = (operation: { startedAt?: string; finishedAt?: string }) =>
  operation.startedAt && operation.finishedAt ? Math.max(0, (Date.parse(operation.finishedAt) - Date.parse(operation.startedAt)) / 1000) : 0;

export type DeadOperationDeps = {
  db: Database;
  boss: PgBoss;
  events: OperationEventLog;
  metrics?: OperationMetrics;
  webhookEvents?: WebhookEventSink;
  logger: Pick<Logger, 'error'>;
};

export function createDeadOperationHandler(deps: DeadOperationDeps) {
  return async ([job]: Array<JobWithMetadata<{ operationId: string }>>) => {
    const { operationId } = readJobPayload(operationJobPayload, job!.data);
    const ended = await deps.db.transaction(async (tx): Promise<OperationEnd | undefined> => {
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
        const after = status && (await updateTenant(tx, tenant.id, { status }));
        if (after) return { operation, tenant: { before: tenant.status, after } };
      }
      return { operation };
    });
    if (ended) deps.metrics?.operationFinished({ kind: ended.operation.kind, outcome: ended.operation.status, seconds: lastAttemptSeconds(ended.operation) });
    deps.events.changed(operationId);
    if (ended) await announceOperationEnd(deps.webhookEvents, deps.logger, ended);
    if (job!.sourceId) await deps.boss.deleteJob(OPERATIONS_QUEUE, job!.sourceId);
  };
}
