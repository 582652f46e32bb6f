// The TenantService: tenant records, operations and their engine runs, with crash recovery at
// open. Every engine call goes through the operation queue and ends in a recorded status: no
// engine error (ConcurrentUpdateError included) ever escapes to a caller as an exception.
import { ulid } from 'ulid';
import type { Logger } from 'pino';
import { ConcurrentUpdateError, type EngineEvent } from '@pulumi/pulumi/automation/index.js';
import { OperationNotAllowed, StackBusy, TenantExists, TenantNotFound } from '../domain/errors.js';
import { DEFAULT_THUMBNAIL_SETTINGS, type ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { Operation, OperationKind, Tenant, TenantService, TenantStatus } from './tenant-service-types.js';
import type { TenantChanges, TenantStore } from './tenant-store.js';
import { CLEANUP_TIMEOUT_MS, type TenantStacks } from './tenant-stacks.js';
import { createOperationQueue } from './operation-queue.js';
import { createOperationFeed } from './operation-feed.js';
import { describeFailure } from './operation-failure.js';
import { terminateEngineRuns } from './engine-processes.js';

export type TenantServiceDeps = {
  store: TenantStore;
  stacks: TenantStacks;
  maxConcurrentOperations: number;
  operationTimeoutSeconds: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long close() waits for running operations before cancelling them (default 30 s). */
  closeGraceSeconds?: number;
};

const CONCURRENT_UPDATE_ATTEMPTS = 3;
const CONCURRENT_UPDATE_BACKOFF_MS = 2000;
/** How long a cancelled engine run may take to stop on its own before it is terminated. */
const ENGINE_CANCEL_GRACE_MS = 10_000;

export async function createTenantService(deps: TenantServiceDeps): Promise<TenantService> {
  const { store, stacks, logger } = deps;
  const queue = createOperationQueue(deps.maxConcurrentOperations);
  const feed = createOperationFeed(store);
  /** Aborts every engine call still running when close() gives up waiting. */
  const closing = new AbortController();
  let closed = false;

  const now = () => new Date().toISOString();
  const newOperation = (tenantId: string, kind: OperationKind): Operation => ({ id: ulid(), tenantId, kind, status: 'queued', createdAt: now() });

  const existingSettings = (id: string) => store.getTenant(id)?.settings ?? DEFAULT_THUMBNAIL_SETTINGS;

  function accepting() {
    if (closed) throw new OperationNotAllowed('the service is shutting down');
  }

  function existing(id: string): Tenant {
    const tenant = store.getTenant(id);
    if (!tenant) throw new TenantNotFound(id);
    return tenant;
  }

  /**
   * Runs one engine call as the given operation: records its start, its events and its end.
   * Another process holding the stack (ConcurrentUpdateError) is waited out a few times.
   */
  async function perform(operation: Operation, call: (options: { onEvent: (event: EngineEvent) => void; signal: AbortSignal }) => Promise<void>) {
    store.updateOperation(operation.id, { status: 'running', startedAt: now() });
    feed.changed(operation.id);
    const errors: string[] = [];
    const onEvent = (event: EngineEvent) => {
      if (event.diagnosticEvent?.severity === 'error') errors.push(event.diagnosticEvent.message);
      feed.record(operation.id, event as unknown as Record<string, unknown>);
    };
    const signal = AbortSignal.any([AbortSignal.timeout(deps.operationTimeoutSeconds * 1000), closing.signal]);
    // Cancelling asks the engine to stop; one blocked in a provider call is terminated after a grace.
    let terminated: Promise<number> | undefined;
    let grace: NodeJS.Timeout | undefined;
    const onAbort = () => (grace = setTimeout(() => (terminated = terminateEngineRuns(operation.tenantId)), ENGINE_CANCEL_GRACE_MS));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await call({ onEvent, signal });
          break;
        } catch (error) {
          if (!(error instanceof ConcurrentUpdateError) || attempt >= CONCURRENT_UPDATE_ATTEMPTS || signal.aborted) throw error;
          logger.warn({ operationId: operation.id, tenantId: operation.tenantId }, 'stack busy in another process; retrying');
          await new Promise((resolve) => setTimeout(resolve, CONCURRENT_UPDATE_BACKOFF_MS * attempt));
        }
      }
      store.updateOperation(operation.id, { status: 'succeeded', finishedAt: now() });
      return true;
    } catch (error) {
      const summary = describeFailure(error, errors, { signal, timeoutSeconds: deps.operationTimeoutSeconds, closing: closing.signal });
      logger.error({ operationId: operation.id, tenantId: operation.tenantId, kind: operation.kind, error: summary }, 'operation failed');
      // A terminated engine leaves its stack locked: clear the lock so a retry or a delete can run.
      if (terminated && (await terminated) > 0) {
        await stacks
          .cancel(operation.tenantId, existingSettings(operation.tenantId), AbortSignal.timeout(CLEANUP_TIMEOUT_MS))
          .catch((error: unknown) => logger.warn({ tenantId: operation.tenantId, error: String(error) }, 'could not clear the stack lock'));
      }
      store.updateOperation(operation.id, { status: closing.signal.aborted ? 'interrupted' : 'failed', finishedAt: now(), error: summary });
      return false;
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(grace);
      feed.changed(operation.id);
    }
  }

  function queueUp(operation: Operation) {
    void queue.run(operation.tenantId, async () => {
      const tenant = store.getTenant(operation.tenantId);
      if (!tenant) return;
      let outputs: Tenant['outputs'];
      const ok = await perform(operation, async (options) => {
        outputs = await stacks.up(tenant.id, tenant.settings, options);
      });
      settle(operation, ok ? { status: 'ready', outputs } : { status: failedStatus() });
    });
  }

  const failedStatus = (): TenantStatus => (closing.signal.aborted ? 'interrupted' : 'failed');

  /** Records an operation's result on its tenant; a later operation already queued keeps its status. */
  function settle(operation: Operation, changes: TenantChanges) {
    const latest = store.getTenant(operation.tenantId)?.lastOperationId === operation.id;
    store.updateTenant(operation.tenantId, latest ? changes : { outputs: changes.outputs });
  }

  function queueDestroy(operation: Operation) {
    void queue.run(operation.tenantId, async () => {
      const tenant = store.getTenant(operation.tenantId);
      if (!tenant) return;
      const ok = await perform(operation, (options) => stacks.destroy(tenant.id, tenant.settings, options));
      if (ok) store.deleteTenant(tenant.id);
      else settle(operation, { status: failedStatus() });
    });
  }

  /** After a crash: clear the stack's lock and unfinished creates, read the resources back. */
  async function recover(tenant: Tenant) {
    const operation = newOperation(tenant.id, 'refresh');
    store.insertOperation(operation, { status: 'interrupted' });
    await queue.run(tenant.id, async () => {
      let outputs: Tenant['outputs'];
      const ok = await perform(operation, async (options) => {
        await stacks.cancel(tenant.id, tenant.settings, options.signal);
        outputs = await stacks.refresh(tenant.id, tenant.settings, { ...options, clearPendingCreates: true });
      });
      // Still `interrupted`: the interrupted operation's goal was not reached; retry or delete finishes it.
      if (ok) store.updateTenant(tenant.id, { outputs: outputs?.bucket ? outputs : undefined });
    });
  }

  const TRANSITIONAL: TenantStatus[] = ['provisioning', 'deleting', 'updating'];
  for (const operation of store.operationsWithStatus(['queued', 'running'])) {
    store.updateOperation(operation.id, { status: 'interrupted', finishedAt: now(), error: 'the service stopped before this operation finished' });
  }
  const interrupted = store.listTenants().filter((tenant) => TRANSITIONAL.includes(tenant.status));
  if (interrupted.length > 0) logger.warn({ tenants: interrupted.map((tenant) => tenant.id) }, 'recovering tenants after an unclean stop');
  await Promise.all(interrupted.map(recover));

  return {
    async provision({ id, settings, apiKeyHash }) {
      accepting();
      const at = now();
      const operation = newOperation(id, 'up');
      const tenant: Tenant = { id, status: 'provisioning', settings, apiKeyHash, createdAt: at, updatedAt: at, lastOperationId: operation.id };
      if (!store.insertTenant(tenant, operation)) throw new TenantExists(id);
      queueUp(operation);
      return { tenant, operation };
    },

    async destroy(id) {
      accepting();
      const tenant = existing(id);
      const last = tenant.lastOperationId ? store.getOperation(tenant.lastOperationId) : undefined;
      // A destroy already on its way is the answer to a second request.
      if (last?.kind === 'destroy' && (last.status === 'queued' || last.status === 'running')) return last;
      const operation = newOperation(id, 'destroy');
      store.insertOperation(operation, { status: 'deleting' });
      queueDestroy(operation);
      return operation;
    },

    async retry(id) {
      accepting();
      const tenant = existing(id);
      if (tenant.status !== 'failed' && tenant.status !== 'interrupted') {
        throw new OperationNotAllowed(`tenant "${id}" is ${tenant.status}; only a failed or interrupted tenant can be retried`);
      }
      const operation = newOperation(id, 'up');
      store.insertOperation(operation, { status: tenant.outputs ? 'updating' : 'provisioning' });
      queueUp(operation);
      return operation;
    },

    async preview(id, settings) {
      accepting();
      const tenant = store.getTenant(id);
      const planned: ThumbnailSettings = settings ?? tenant?.settings ?? DEFAULT_THUMBNAIL_SETTINGS;
      const signal = AbortSignal.any([AbortSignal.timeout(deps.operationTimeoutSeconds * 1000), closing.signal]);
      return queue.run(id, () => stacks.preview(id, planned, signal)).catch((error: unknown) => {
        // A preview answers a request: a busy stack is the caller's to retry, not a server error.
        throw error instanceof ConcurrentUpdateError ? new StackBusy(id) : error;
      });
    },

    get: (id) => store.getTenant(id),
    list: () => store.listTenants(),
    operation: (id) => store.getOperation(id),
    events: (operationId, signal) => feed.follow(operationId, signal),

    async close() {
      if (closed) return;
      closed = true;
      const grace = (deps.closeGraceSeconds ?? 30) * 1000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([queue.idle(), new Promise((resolve) => (timer = setTimeout(resolve, grace)))]);
      clearTimeout(timer);
      // Whatever still runs is cancelled (SIGINT to the engine) and recorded as interrupted.
      closing.abort();
      await queue.idle();
      store.close();
    },
  };
}
