// Starts the tenant side of a replica on a database and a job engine: the operation queues, the
// event log, the lifecycle the API drives, this replica's operation workers, the scheduled
// drift checks and the image rollouts' driver. `stop` takes no
// new jobs, lets running operations finish within a grace, then hands the rest to other replicas.
import type { PgBoss } from 'pg-boss';
import { defineQueues, readJobPayload } from '../db/job-engine.js';
import { createDeadOperationHandler } from './dead-operations.js';
import { startDriftChecks } from './drift-checks.js';
import { createOperationEventLog } from './operation-events.js';
import { OPERATIONS_DEAD_LETTER_QUEUE, OPERATIONS_QUEUE, operationJobPayload, operationQueues } from './operation-queue.js';
import { createOperationRunner, type OperationJob, type OperationRunnerDeps } from './operation-runner.js';
import { startImageRollouts, type ImageRollouts } from './image-rollouts.js';
import { createTenantLifecycle } from './tenant-lifecycle.js';
import type { TenantLifecycle } from './tenant-types.js';

/** What the runner needs (less what this module makes: the event log and the shutdown signal), plus the job engine. */
export type TenantOperationsOptions = Omit<OperationRunnerDeps, 'events' | 'shutdown'> & {
  boss: PgBoss;
  maxConcurrentOperations: number;
  /** When every tenant's drift check is queued (cron, UTC). */
  driftCheckCron: string;
};

export type TenantOperations = {
  tenants: TenantLifecycle;
  rollouts: ImageRollouts;
  /** Stops this replica's workers: no new jobs, a grace for running ones, then a handover. */
  stop(graceSeconds: number): Promise<void>;
};

export async function startTenantOperations(options: TenantOperationsOptions): Promise<TenantOperations> {
  const { db, boss, stacks, logger } = options;
  await defineQueues(boss, operationQueues(options));
  const events = await createOperationEventLog(db);
  const tenants = createTenantLifecycle({ db, boss, stacks, events, operationTimeoutSeconds: options.operationTimeoutSeconds });
  const shutdown = new AbortController();
  const runOperation = createOperationRunner({ ...options, events, shutdown: shutdown.signal });

  const running = new Set<Promise<unknown>>();
  await boss.work<{ operationId: string }>(
    OPERATIONS_QUEUE,
    { localConcurrency: options.maxConcurrentOperations, pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1 },
    async ([job]) => {
      const run = runOperation({ id: job!.id, signal: job!.signal, data: readJobPayload(operationJobPayload, job!.data) } satisfies OperationJob);
      running.add(run);
      try {
        await run;
      } finally {
        running.delete(run);
      }
    },
  );
  await boss.work(OPERATIONS_DEAD_LETTER_QUEUE, { includeMetadata: true }, createDeadOperationHandler({ db, boss, events, metrics: options.metrics, webhookEvents: options.webhookEvents, logger }));
  const driftChecks = await startDriftChecks({ boss, tenants, cron: options.driftCheckCron, logger });
  const rollouts = await startImageRollouts({ db, boss, tenants, logger });

  return {
    tenants,
    rollouts,
    async stop(graceSeconds) {
      // No new jobs; without waiting, which would wait for the running ones beyond any grace.
      await Promise.all([driftChecks.stop(), rollouts.stop(), ...[OPERATIONS_QUEUE, OPERATIONS_DEAD_LETTER_QUEUE].map((queue) => boss.offWork(queue, { wait: false }))]);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise((resolve) => (timer = setTimeout(resolve, graceSeconds * 1000)));
      await Promise.race([Promise.allSettled(running), grace]);
      clearTimeout(timer);
      if (running.size > 0) logger.warn({ operations: running.size }, 'shutdown grace over: handing running operations to another replica');
      shutdown.abort();
      await Promise.allSettled(running);
      await events.close();
    },
  };
}
