// Image rollouts: an admin's request to run `up` again for every ready tenant, since a new
// thumbnailer image (the platform stack's, or a new THUMBFORGE_IMAGE_URI) reaches a tenant's
// function only through an `up`. At most `concurrency` of a rollout's ups are on their way at once;
// progress is read from the operations it queued. A driver job (one running per rollout across
// replicas) tops up the set and sends itself again until every tenant's `up` has ended.
// It never runs an engine call itself and never queues a second `up` for a tenant that has one.
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { ulid } from 'ulid';
import { z } from 'zod';
import type { Database, Row } from '../db/database.js';
import { defineQueues, jobPayload, readJobPayload, sendJob, type QueueDefinition } from '../db/job-engine.js';
import { OperationNotAllowed, RolloutNotFound, RolloutRunning } from '../domain/errors.js';
import { isFinished, type OperationStatus } from '../domain/tenant-lifecycle.js';
import type { TenantLifecycle } from './tenant-types.js';

export const ROLLOUTS_QUEUE = 'tenant-image-rollouts';
const rolloutPayload = jobPayload(1, z.object({ rolloutId: z.string().min(1) }));
/** How long the driver waits before it looks at a rollout's operations again. */
const ADVANCE_EVERY_SECONDS = 2;

const rolloutQueue: QueueDefinition = {
  name: ROLLOUTS_QUEUE,
  // Per rollout (the singleton key): one driver running and one waiting, never two at once.
  policy: 'stately',
  retryLimit: 10,
  retryDelay: 5,
  retryBackoff: true,
  payload: rolloutPayload,
};

export const DEFAULT_ROLLOUT_CONCURRENCY = 2;

/** Where one tenant of a rollout stands: not yet queued, its up's status, or left out (with why). */
export type RolloutTenantStatus = 'pending' | OperationStatus | 'skipped';
export type RolloutTenant = { id: string; status: RolloutTenantStatus; operationId?: string; reason?: string };
export type Rollout = {
  id: string;
  status: 'running' | 'finished';
  concurrency: number;
  createdAt: string;
  finishedAt?: string;
  total: number;
  counts: Record<RolloutTenantStatus, number>;
  tenants: RolloutTenant[];
};

export type ImageRollouts = {
  /** Starts a rollout over every tenant ready now; throws RolloutRunning while another one runs. */
  start(input: { concurrency: number }): Promise<Rollout>;
  /** Throws RolloutNotFound. */
  get(id: string): Promise<Rollout>;
};

type RolloutRow = Row & { id: string; concurrency: number; created_at: Date; finished_at: Date | null };
type MemberRow = Row & { tenant_id: string; operation_id: string | null; skipped: string | null; operation_status: OperationStatus | null };

const EMPTY_COUNTS: Record<RolloutTenantStatus, number> = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, interrupted: 0, cancelled: 0, skipped: 0 };

function memberOf(row: MemberRow): RolloutTenant {
  if (row.skipped !== null) return { id: row.tenant_id, status: 'skipped', reason: row.skipped };
  if (row.operation_id === null) return { id: row.tenant_id, status: 'pending' };
  // An operation record outlives nothing but its tenant's destroy: then the up is long over.
  return { id: row.tenant_id, status: row.operation_status ?? 'succeeded', operationId: row.operation_id };
}

export async function startImageRollouts(deps: {
  db: Database;
  boss: PgBoss;
  tenants: Pick<TenantLifecycle, 'list' | 'get' | 'retry'>;
  logger: Pick<Logger, 'info' | 'warn'>;
}): Promise<ImageRollouts & { stop(): Promise<void> }> {
  const { db, boss, tenants, logger } = deps;
  await defineQueues(boss, [rolloutQueue]);

  const members = async (id: string) =>
    (
      await db.query<MemberRow>(
        `SELECT m.tenant_id, m.operation_id, m.skipped, o.status AS operation_status
           FROM rollout_tenants m LEFT JOIN operations o ON o.id = m.operation_id
          WHERE m.rollout_id = $1 ORDER BY m.tenant_id`,
        [id],
      )
    ).map(memberOf);

  async function read(id: string): Promise<Rollout> {
    const [row] = (await db.query<RolloutRow>('SELECT id, concurrency, created_at, finished_at FROM rollouts WHERE id = $1', [id]));
    if (!row) throw new RolloutNotFound(id);
    const list = await members(id);
    const counts = { ...EMPTY_COUNTS };
    for (const member of list) counts[member.status]++;
    return {
      id: row.id,
      status: row.finished_at ? 'finished' : 'running',
      concurrency: row.concurrency,
      createdAt: row.created_at.toISOString(),
      ...(row.finished_at && { finishedAt: row.finished_at.toISOString() }),
      total: list.length,
      counts,
      tenants: list,
    };
  }

  const sendAdvance = (rolloutId: string, startAfter?: number) =>
    sendJob(boss, ROLLOUTS_QUEUE, rolloutPayload, { rolloutId }, { singletonKey: rolloutId, ...(startAfter !== undefined && { startAfter }) });

  /** Queues the next tenants' ups while fewer than `concurrency` are on their way; ends the rollout once all have ended. */
  async function advance(rolloutId: string): Promise<void> {
    const rollout = await read(rolloutId);
    if (rollout.status === 'finished') return;
    let onTheWay = rollout.tenants.filter((member) => member.status === 'queued' || member.status === 'running').length;
    for (const member of rollout.tenants.filter((candidate) => candidate.status === 'pending')) {
      if (onTheWay >= rollout.concurrency) break;
      const assigned = await upFor(member.id);
      await db.query('UPDATE rollout_tenants SET operation_id = $3, skipped = $4 WHERE rollout_id = $1 AND tenant_id = $2', [rolloutId, member.id, assigned.operationId ?? null, assigned.skipped ?? null]);
      if (assigned.operationId) onTheWay++;
    }
    const after = await read(rolloutId);
    const done = after.tenants.every((member) => member.status === 'skipped' || (member.status !== 'pending' && isFinished(member.status)));
    if (done) {
      await db.query('UPDATE rollouts SET finished_at = now() WHERE id = $1 AND finished_at IS NULL', [rolloutId]);
      logger.info({ rolloutId, counts: after.counts }, 'image rollout finished');
    } else {
      await sendAdvance(rolloutId, ADVANCE_EVERY_SECONDS);
    }
  }

  /** The `up` that brings the tenant the new image: a new one, or the one already on its way. */
  async function upFor(tenantId: string): Promise<{ operationId?: string; skipped?: string }> {
    try {
      return { operationId: (await tenants.retry(tenantId)).id };
    } catch (error) {
      const tenant = await tenants.get(tenantId);
      if (!tenant) return { skipped: 'the tenant was deleted' };
      if (tenant.status === 'deleting') return { skipped: 'the tenant is being deleted' };
      // An up already queued or running reads the image when it starts: it is this tenant's rollout.
      if (error instanceof OperationNotAllowed && tenant.lastOperationId) return { operationId: tenant.lastOperationId };
      throw error;
    }
  }

  await boss.work(ROLLOUTS_QUEUE, { pollingIntervalSeconds: 1 }, async ([job]) => advance(readJobPayload(rolloutPayload, job!.data).rolloutId));

  return {
    async start({ concurrency }) {
      const id = ulid();
      const ready = (await tenants.list()).filter((tenant) => tenant.status === 'ready').map((tenant) => tenant.id);
      const running = await db.transaction(async (tx) => {
        // One rollout at a time: a second would race the first for the same tenants.
        await tx.query('LOCK TABLE rollouts IN EXCLUSIVE MODE');
        const [unfinished] = (await tx.query<{ id: string }>('SELECT id FROM rollouts WHERE finished_at IS NULL LIMIT 1'));
        if (unfinished) return unfinished.id;
        await tx.query('INSERT INTO rollouts (id, concurrency) VALUES ($1, $2)', [id, concurrency]);
        if (ready.length > 0) await tx.query('INSERT INTO rollout_tenants (rollout_id, tenant_id) SELECT $1, unnest($2::text[])', [id, ready]);
        return undefined;
      });
      if (running) {
        // Its driver may have given up (retries spent): send it again, so a rollout never stays stuck.
        await sendAdvance(running);
        throw new RolloutRunning(running);
      }
      await sendAdvance(id);
      logger.info({ rolloutId: id, tenants: ready.length, concurrency }, 'image rollout started');
      return read(id);
    },
    get: read,
    stop: () => boss.offWork(ROLLOUTS_QUEUE, { wait: false }),
  };
}
