// Runs one tenant operation job: claims the operation (a new attempt and fencing token), takes
// the stack over from an attempt that died, runs the engine call (up, destroy, or a drift check's
// refresh preview) and records the outcome (and reports it, with the attempt's duration, to the
// metrics it is handed). Every write carries the fencing token, so a late write from an earlier
// attempt is refused; a replica that loses the database ends its engine run before its heartbeat
// can lapse and the job move on; a cancel asked of a running operation ends its engine run and
// refreshes the stack before the operation is recorded as cancelled. Once an end is committed, it
// is announced to the webhook event sink it is handed.
// It never lets an engine error escape as an exception, except to hand the job to another replica.
import type { EngineEvent } from '@pulumi/pulumi/automation/index.js';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { statusAfter, type OperationKind, type OperationStatus } from '../domain/tenant-lifecycle.js';
import { describeFailure } from '../stacks/operation-failure.js';
import { isStackLocked } from '../stacks/automation.js';
import { terminateEngineRuns } from '../stacks/engine-processes.js';
import { CLEANUP_TIMEOUT_MS, type StackContext, type TenantStacks } from '../stacks/tenant-stacks.js';
import type { DriftReport } from '../stacks/tenant-outputs.js';
import type { WebhookEventSink } from '../domain/webhook-events.js';
import type { OperationEventLog } from './operation-events.js';
import { announceOperationEnd, type OperationEnd } from './operation-webhooks.js';
import {
  claimState,
  claimOperation,
  deleteTenant,
  finishOperation,
  getOperation,
  getTenant,
  requeueOperation,
  saveStackSettings,
  stackSettingsOf,
  updateTenant,
  type OperationClaim,
} from './tenant-records.js';
import type { Tenant, TenantDrift } from './tenant-types.js';

/** A drift check's report as the tenant keeps it: changes in name order, stamped with the time. */
function driftOf(report: DriftReport): TenantDrift {
  const changes = [...report.changes].sort((a, b) => a.name.localeCompare(b.name));
  return { status: changes.length > 0 ? 'drifted' : 'in-sync', checkedAt: new Date().toISOString(), changes };
}

/** Where operations are reported as they end (the service's metrics). */
export type OperationMetrics = { operationFinished(operation: { kind: OperationKind; outcome: OperationStatus; seconds: number }): void };

export type OperationJob = { id: string; data: { operationId: string }; signal: AbortSignal };

export type OperationRunnerDeps = {
  db: Database;
  stacks: TenantStacks;
  events: OperationEventLog;
  replica: { id: string; host: string };
  heartbeatSeconds: number;
  operationTimeoutSeconds: number;
  /** Aborted when the replica's shutdown grace has run out: runs still going are handed over. */
  shutdown: AbortSignal;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics?: OperationMetrics;
  /** Where ended operations (and the tenant statuses they settle) are published as webhook events. */
  webhookEvents?: WebhookEventSink;
};

/** Thrown to give the job back to the queue, so a live replica takes the operation over. */
export class OperationHandedOver extends Error {}

const CONCURRENT_UPDATE_ATTEMPTS = 3;
const CONCURRENT_UPDATE_BACKOFF_MS = 2000;
/** How long a cancelled engine run may take to stop on its own before it is terminated. */
const ENGINE_CANCEL_GRACE_MS = 10_000;

export function createOperationRunner(deps: OperationRunnerDeps) {
  const { db, stacks, logger } = deps;

  /**
   * `signal` aborts when the claim is lost: a later attempt fenced this one out, or the database has
   * not answered for half a heartbeat, so the run ends before the job engine can give it to another
   * replica. `cancelled` aborts once a cancel has been asked of the operation.
   */
  function leaseGuard(claim: OperationClaim) {
    const lost = new AbortController();
    const cancel = new AbortController();
    const budgetMs = (deps.heartbeatSeconds * 1000) / 2;
    let lastContact = Date.now();
    let checking = false;
    const timer = setInterval(() => {
      if (checking) {
        if (Date.now() - lastContact > budgetMs) lost.abort(new Error('lost the database'));
        return;
      }
      checking = true;
      claimState(db, claim.operation.id, claim.fencingToken).then(
        (state) => {
          checking = false;
          lastContact = Date.now();
          if (state === 'lost') lost.abort(new Error('fenced out'));
          if (state === 'cancel-requested') cancel.abort(new Error('cancelled'));
        },
        () => {
          checking = false;
          if (Date.now() - lastContact > budgetMs) lost.abort(new Error('lost the database'));
        },
      );
    }, budgetMs / 4);
    return { signal: lost.signal, cancelled: cancel.signal, stop: () => clearInterval(timer) };
  }

  return async function runOperation(job: OperationJob): Promise<void> {
    const claim = await claimOperation(db, job.data.operationId, { replica: deps.replica.id, host: deps.replica.host, jobId: job.id });
    if (!claim) return; // it ended (cancelled, or finished by an attempt whose completion was not recorded)
    const started = performance.now();
    const { operation, fencingToken } = claim;
    const finished = (outcome: OperationStatus) => deps.metrics?.operationFinished({ kind: operation.kind, outcome, seconds: (performance.now() - started) / 1000 });
    const log = { operationId: operation.id, tenantId: operation.tenantId, kind: operation.kind, attempt: operation.attempt };
    const tenant = await getTenant(db, operation.tenantId);
    if (!tenant) {
      if (await finishOperation(db, operation.id, fencingToken, { status: 'failed', error: 'the tenant record is gone' })) finished('failed');
      return;
    }
    deps.events.changed(operation.id);
    if (claim.previous) logger.warn({ ...log, previous: claim.previous }, 'taking over an operation whose replica stopped');

    const lease = leaseGuard(claim);
    let fenced = false;
    const recorder = deps.events.recorder(operation.id, fencingToken, () => (fenced = true));
    const timeout = AbortSignal.timeout(deps.operationTimeoutSeconds * 1000);
    const signal = AbortSignal.any([timeout, deps.shutdown, lease.signal, job.signal, lease.cancelled]);
    const diagnostics: string[] = [];
    const onEvent = (event: EngineEvent) => {
      if (event.diagnosticEvent?.severity === 'error') diagnostics.push(event.diagnosticEvent.message);
      recorder.record(event as unknown as Record<string, unknown>);
    };
    const context: StackContext = {
      tenantId: tenant.id,
      settings: tenant.settings,
      stackSettings: (await stackSettingsOf(db, tenant.id)) as StackContext['stackSettings'],
      async saveStackSettings(settings) {
        if (!(await saveStackSettings(db, operation.id, fencingToken, tenant.id, settings as Record<string, unknown>))) throw new Error('fenced out');
        // Later calls of this attempt (clearing a lock, the refresh after a cancel) start from the saved settings.
        context.stackSettings = settings;
      },
    };
    // Cancelling asks the engine to stop; one blocked in a provider call is terminated after a grace.
    let terminated: Promise<number> | undefined;
    let grace: NodeJS.Timeout | undefined;
    const onAbort = () => (grace = setTimeout(() => (terminated = terminateEngineRuns(tenant.id)), ENGINE_CANCEL_GRACE_MS));
    signal.addEventListener('abort', onAbort, { once: true });
    // The engine's own event for a cancel, so a client following the operation sees it begin.
    const onCancel = () => recorder.record({ cancelEvent: {} });
    lease.cancelled.addEventListener('abort', onCancel, { once: true });

    let outputs: Tenant['outputs'];
    let drift: DriftReport | undefined;
    let failure: string | undefined;
    try {
      if (claim.previous) {
        const taken = await stacks.takeOver(context, claim.previous, { signal });
        logger.info({ ...log, ...taken }, 'stack taken over');
      }
      for (let attempt = 1; ; attempt++) {
        try {
          if (operation.kind === 'up') outputs = await stacks.up(context, { onEvent, signal });
          else if (operation.kind === 'destroy') await stacks.destroy(context, { onEvent, signal });
          else drift = await stacks.previewRefresh(context, { onEvent, signal });
          break;
        } catch (error) {
          if (!isStackLocked(error) || attempt >= CONCURRENT_UPDATE_ATTEMPTS || signal.aborted) throw error;
          logger.warn(log, 'stack busy in another process; retrying');
          await new Promise((resolve) => setTimeout(resolve, CONCURRENT_UPDATE_BACKOFF_MS * attempt));
        }
      }
    } catch (error) {
      failure = describeFailure(error, diagnostics, { signal: timeout, timeoutSeconds: deps.operationTimeoutSeconds, closing: deps.shutdown });
    } finally {
      signal.removeEventListener('abort', onAbort);
      lease.cancelled.removeEventListener('abort', onCancel);
      clearTimeout(grace);
      lease.stop();
    }
    // A terminated engine leaves its stack locked: clear the lock so the next run can start.
    if (terminated && (await terminated) > 0) {
      await stacks
        .clearLock(context, AbortSignal.timeout(CLEANUP_TIMEOUT_MS))
        .catch((error: unknown) => logger.warn({ ...log, error: String(error) }, 'could not clear the stack lock'));
    }
    if (lease.signal.aborted || job.signal.aborted || fenced) {
      // Another attempt owns the operation now, or will once the job engine sees this one's heartbeat stop.
      logger.warn({ ...log, reason: String(lease.signal.reason ?? job.signal.reason ?? 'fenced out') }, 'operation left to another attempt');
      throw new OperationHandedOver('this replica lost its claim on the operation');
    }
    if (failure !== undefined && deps.shutdown.aborted && !timeout.aborted) {
      logger.warn(log, 'shutting down: handing the operation to another replica');
      await requeueOperation(db, operation.id, fencingToken).catch((error: unknown) => logger.warn({ ...log, error: String(error) }, 'could not mark the operation queued'));
      deps.events.changed(operation.id);
      throw new OperationHandedOver('the replica shut down during the operation');
    }
    if (failure !== undefined && lease.cancelled.aborted) {
      // Whatever the engine did before it stopped is read back, so the state (and the next run) is truthful.
      const refreshed = await stacks.refresh(context, { onEvent, signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) }).then(
        () => 'the stack was refreshed',
        (error: unknown) => `refreshing the stack failed (${describeFailure(error, [], { signal: timeout, timeoutSeconds: deps.operationTimeoutSeconds, closing: deps.shutdown })}); the next up refreshes it`,
      );
      await recorder.flush().catch(() => undefined);
      logger.warn({ ...log, refreshed }, 'operation cancelled while running');
      if (await settle(claim, tenant, { status: 'cancelled', error: `cancelled while running; ${refreshed}` })) finished('cancelled');
      return;
    }
    await recorder.flush().catch(() => undefined);
    if (failure !== undefined) logger.error({ ...log, error: failure }, 'operation failed');
    const outcome = failure === undefined ? ({ status: 'succeeded', outputs, drift } as const) : ({ status: 'failed', error: failure } as const);
    if (await settle(claim, tenant, outcome)) finished(outcome.status);
  };

  /**
   * Records the end under the claim; the tenant's status changes only if this is still its latest
   * operation. False when the claim was lost meanwhile: the end was not this attempt's to record.
   */
  async function settle(
    claim: OperationClaim,
    tenant: Tenant,
    outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error?: string; outputs?: Tenant['outputs']; drift?: DriftReport },
  ): Promise<boolean> {
    const { operation, fencingToken } = claim;
    const ended = await db.transaction(async (tx): Promise<OperationEnd | undefined> => {
      // The tenant row is locked before the operation's, as every transaction does (no deadlock).
      const current = await getTenant(tx, tenant.id, { forUpdate: true });
      if (!(await finishOperation(tx, operation.id, fencingToken, outcome))) return undefined;
      const finished = { operation: (await getOperation(tx, operation.id))! };
      if (!current) return finished;
      const latest = current.lastOperationId === operation.id;
      if (operation.kind === 'destroy' && outcome.status === 'succeeded') {
        if (latest) await deleteTenant(tx, tenant.id);
        return finished;
      }
      const status = latest ? statusAfter(operation.kind, outcome.status, current.status) : undefined;
      const after = await updateTenant(tx, tenant.id, {
        ...(status ? { status } : {}),
        ...(outcome.outputs?.bucket ? { outputs: outcome.outputs } : {}),
        // An `up` that succeeded refreshed first and then converged: the stack is in sync with its resources.
        ...(outcome.drift ? { drift: driftOf(outcome.drift) } : operation.kind === 'up' && outcome.status === 'succeeded' ? { drift: driftOf({ changes: [] }) } : {}),
        ...(operation.kind === 'up' && outcome.status === 'succeeded' ? { appliedSettingsVersion: tenant.settingsVersion } : {}),
      });
      return status && after ? { ...finished, tenant: { before: current.status, after } } : finished;
    });
    deps.events.changed(operation.id);
    if (ended) await announceOperationEnd(deps.webhookEvents, logger, ended);
    return ended !== undefined;
  }
}
