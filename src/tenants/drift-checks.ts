// The scheduled drift check: one pg-boss schedule (THUMBFORGE_DRIFT_CHECK_CRON, fired once per
// occurrence across every replica) whose job queues a drift check (a refresh operation) for each
// tenant not being deleted. It never runs an engine call itself: the operations queue does.
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { z } from 'zod';
import { defineQueues, jobPayload, readJobPayload, type QueueDefinition } from '../db/job-engine.js';
import { canUpdate } from '../domain/tenant-lifecycle.js';
import type { TenantLifecycle } from './tenant-types.js';

export const DRIFT_CHECKS_QUEUE = 'tenant-drift-checks';
export const driftChecksPayload = jobPayload(1, z.object({}));

const driftChecksQueue: QueueDefinition = { name: DRIFT_CHECKS_QUEUE, policy: 'standard', retryLimit: 2, retryDelay: 60, payload: driftChecksPayload };

/** Schedules the checks (replacing an earlier cron) and starts this replica's worker for them; resolves with a stop. */
export async function startDriftChecks(deps: { boss: PgBoss; tenants: Pick<TenantLifecycle, 'list' | 'refresh'>; cron: string; logger: Pick<Logger, 'info' | 'warn'> }) {
  const { boss, tenants, logger } = deps;
  await defineQueues(boss, [driftChecksQueue]);
  await boss.schedule(DRIFT_CHECKS_QUEUE, deps.cron, { version: driftChecksPayload.version }, { tz: 'UTC', missed: 'once' });
  await boss.work(DRIFT_CHECKS_QUEUE, async ([job]) => {
    readJobPayload(driftChecksPayload, job!.data);
    const due = (await tenants.list()).filter((tenant) => canUpdate(tenant.status));
    let queued = 0;
    for (const tenant of due) {
      // A tenant deleted meanwhile is no reason to skip the others.
      await tenants.refresh(tenant.id).then(
        () => queued++,
        (error: unknown) => logger.warn({ tenantId: tenant.id, error: String(error) }, 'drift check not queued'),
      );
    }
    logger.info({ queued, tenants: due.length }, 'drift checks queued');
  });
  return { stop: () => boss.offWork(DRIFT_CHECKS_QUEUE) };
}
