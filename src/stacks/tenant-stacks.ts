// The Automation API adapter: one project, one stack per tenant (named after the tenant id), an inline
// program, and a temporary work dir per call whose stack settings come from (and go back to) the
// caller, so any replica can run any tenant. Every engine call is awaited and bounded by an
// AbortSignal (boundedEngineCall where the API takes none); every run of the program goes through
// runInline (a failure borrowed from another run of this process is made again). Every `up`
// refreshes first. It never runs two calls on one stack itself: callers serialize per tenant.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineEvent, PulumiFn, Stack, StackSettings } from '@pulumi/pulumi/automation/index.js';
import { automation, isStackMissing } from './automation.js';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import { thumbnailerFailuresQueue } from '../domain/events-queue.js';
import type { DriftReport, PreviewResult, TenantOutputs } from './tenant-outputs.js';
import { backendUrl, engineDirs, type TenantTarget } from './tenant-target.js';
import { createEngineWorkspace } from './engine-workspace.js';
import { boundedEngineCall } from './engine-processes.js';
import { runInline } from './inline-runs.js';
import { judgeStackLock } from './stack-lock.js';
import { adoptPendingCreates } from './pending-creates.js';
import { OperationNotAllowed } from '../domain/errors.js';

export const TENANT_PROJECT = 'thumbforge-tenants';
/** The bound of clean-up calls that run after their operation's signal has already fired. */
export const CLEANUP_TIMEOUT_MS = 120_000;
const LOCK_RELEASE_POLL_MS = 1_000;

/** One tenant's stack as a call needs it: its program's settings and its stack settings file. */
export type StackContext = {
  tenantId: string;
  settings: ThumbnailSettings;
  stackSettings?: StackSettings;
  /** Called when the engine changed the stack settings (the first run creates the passphrase salt). */
  saveStackSettings(settings: StackSettings): Promise<void>;
};

export type EngineCallOptions = { onEvent?: (event: EngineEvent) => void; signal: AbortSignal };

/** Who ran the attempt that died, as its operation record says. */
export type DeadAttempt = { host: string; startedAt: string };

export type TenantStacks = ReturnType<typeof createTenantStacks>;

export function createTenantStacks(deps: { target: TenantTarget; dataDir: string; scratchDir: string }) {
  const { target, dataDir } = deps;
  const workspace = createEngineWorkspace({ target, dataDir, scratchDir: deps.scratchDir, projectName: TENANT_PROJECT });
  const backend = backendUrl(target, dataDir);
  const workDirs = engineDirs(dataDir, deps.scratchDir).workDirs;

  /** The inline program; its module (and @pulumi/pulumi, @pulumi/aws) loads when the engine first runs one. */
  function program(tenantId: string, settings: ThumbnailSettings): PulumiFn {
    return async () =>
      target.kind === 'local'
        ? (await import('./local-program.js')).localTenantProgram({ tenantId, settings, region: target.connection.region, consoleOrigins: target.consoleOrigins })()
        : (await import('./aws-program.js')).awsTenantProgram({
            tenantId,
            settings,
            region: target.region,
            image: target.image,
            deleteTimeoutSeconds: target.deleteTimeoutSeconds,
            eventsQueueArn: target.eventsQueue.arn,
            failuresQueueArn: thumbnailerFailuresQueue(target.eventsQueue).arn,
            consoleOrigins: target.consoleOrigins,
          })();
  }

  /**
   * Runs `work` on the tenant's stack (or `on.name`, created or only selected) in a fresh work dir,
   * removed afterwards; saves changed stack settings.
   */
  async function withStack<T>(
    context: StackContext,
    signal: AbortSignal,
    work: (stack: Stack, workDir: string) => Promise<T>,
    on: { name: string; create: boolean } = { name: context.tenantId, create: true },
  ): Promise<T> {
    const { tenantId } = context;
    const stackName = on.name;
    const workDir = await mkdtemp(join(await ensuredWorkDirs(), `${tenantId}-`));
    try {
      const options = await workspace.options(stackName, workDir, context.stackSettings);
      const args = { stackName, projectName: TENANT_PROJECT, program: program(tenantId, context.settings) };
      const { LocalWorkspace } = await automation();
      const open = () => boundedEngineCall(stackName, signal, () => (on.create ? LocalWorkspace.createOrSelectStack(args, options) : LocalWorkspace.selectStack(args, options)));
      let stack = await open();
      let settings = await stack.workspace.stackSettings(stackName).catch((error: unknown) => {
        if (context.stackSettings) throw error;
        return undefined;
      });
      if (!settings) {
        // The stack exists but its settings (the passphrase salt) were never saved: an attempt that
        // created it lost the database or died first. Settings are saved before any engine update,
        // so the stack is empty: it is removed (`stack rm` refuses one with resources) and made anew.
        await boundedEngineCall(stackName, signal, () => stack.workspace.removeStack(stackName));
        stack = await open();
        settings = await stack.workspace.stackSettings(stackName);
      }
      if (JSON.stringify(settings) !== JSON.stringify(context.stackSettings ?? {})) await context.saveStackSettings(settings);
      if (target.kind === 'aws') await boundedEngineCall(tenantId, signal, () => stack.setConfig('aws:region', { value: target.region }));
      return await work(stack, workDir);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Whether the tenant's stack exists, asking the backend for that stack alone: listing them all
   * reads every stack's checkpoint, one of which another operation may be writing at that moment.
   */
  async function exists(tenantId: string, signal: AbortSignal): Promise<boolean> {
    const workDir = await mkdtemp(join(await ensuredWorkDirs(), `${tenantId}-exists-`));
    try {
      const ws = await (await automation()).LocalWorkspace.create(await workspace.options(tenantId, workDir));
      return await boundedEngineCall(tenantId, signal, () => ws.selectStack(tenantId)).then(
        () => true,
        (error: unknown) => {
          if (isStackMissing(error)) return false;
          throw error;
        },
      );
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  async function ensuredWorkDirs() {
    await mkdir(workDirs, { recursive: true });
    return workDirs;
  }

  /** Waits while a live process on this host holds the stack (it finishes and releases it), bounded by `signal`. */
  async function lockAfterLiveHolders(tenantId: string, dead: DeadAttempt, signal: AbortSignal) {
    for (;;) {
      const verdict = await judgeStackLock(backend, TENANT_PROJECT, tenantId, dead);
      if (verdict.kind !== 'alive') return verdict;
      if (signal.aborted) throw signal.reason;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RELEASE_POLL_MS));
    }
  }

  /**
   * Adopts the creates a killed or terminated engine left pending (see pending-creates.ts); the
   * refresh every `up` and destroy starts with then keeps each that exists and drops the rest.
   */
  async function adoptPending(stack: Stack, signal: AbortSignal) {
    const adoption = adoptPendingCreates(await boundedEngineCall(stack.name, signal, () => stack.exportStack()));
    if (adoption) await boundedEngineCall(stack.name, signal, () => stack.importStack(adoption.deployment));
    return adoption;
  }

  return {
    async up(context: StackContext, options: EngineCallOptions): Promise<TenantOutputs> {
      return withStack(context, options.signal, async (stack) => {
        await adoptPending(stack, options.signal);
        const result = await runInline(options.signal, () => stack.up({ refresh: true, onEvent: options.onEvent, signal: options.signal }));
        return outputsOf(result.outputs);
      });
    },

    /** Destroys the tenant's resources (refreshing first), then removes its stack. A stack already gone is fine. */
    async destroy(context: StackContext, options: EngineCallOptions): Promise<void> {
      if (!(await exists(context.tenantId, options.signal))) return;
      await withStack(context, options.signal, async (stack) => {
        await adoptPending(stack, options.signal);
        await runInline(options.signal, () => stack.destroy({ refresh: true, onEvent: options.onEvent, signal: options.signal }));
        await boundedEngineCall(stack.name, options.signal, () => stack.workspace.removeStack(stack.name));
      });
    },

    /**
     * Takes a stack over from an attempt that died: waits out a live holder of its lock, clears a lock
     * the dead attempt left (and no other), and adopts the creates it left pending; the operation's
     * own refresh then keeps each where the resource exists and drops it where not. Resolves to what it did.
     */
    async takeOver(context: StackContext, dead: DeadAttempt, options: EngineCallOptions): Promise<{ lock: string; adopted: string[]; cleared: string[] }> {
      if (!(await exists(context.tenantId, options.signal))) return { lock: 'none', adopted: [], cleared: [] };
      const verdict = await lockAfterLiveHolders(context.tenantId, dead, options.signal);
      return withStack(context, options.signal, async (stack) => {
        // A backend whose locks cannot be read (s3): the job engine only hands an operation over after
        // its owner's heartbeats stopped, so the lock is the dead attempt's.
        if (verdict.kind === 'dead' || verdict.kind === 'unknown') await boundedEngineCall(stack.name, options.signal, () => stack.cancel());
        const adoption = await adoptPending(stack, options.signal);
        return { lock: verdict.kind, adopted: adoption?.adopted ?? [], cleared: adoption?.cleared ?? [] };
      });
    },

    /**
     * A drift check: a refresh preview, which reads every resource's cloud side and changes nothing.
     * A tenant without a stack has nothing to drift from.
     */
    async previewRefresh(context: StackContext, options: EngineCallOptions): Promise<DriftReport> {
      if (!(await exists(context.tenantId, options.signal))) return { changes: [] };
      return withStack(context, options.signal, async (stack) => {
        const changes = await runInline(options.signal, async () => {
          const found: DriftReport['changes'] = [];
          await stack.previewRefresh({
            signal: options.signal,
            onEvent(event) {
              options.onEvent?.(event);
              const step = event.resOutputsEvent?.metadata;
              if (step && step.op !== 'same' && !step.type.startsWith('pulumi:')) found.push({ op: step.op, type: step.type, name: step.urn.split('::').at(-1) ?? step.urn });
            },
          });
          return found;
        });
        return { changes };
      });
    },

    /**
     * Reads every resource's cloud side into the state (after a cancelled run: what it left done),
     * adopting the creates a terminated engine left pending first. A tenant without a stack is fine.
     */
    async refresh(context: StackContext, options: EngineCallOptions): Promise<void> {
      if (!(await exists(context.tenantId, options.signal))) return;
      await withStack(context, options.signal, async (stack) => {
        await adoptPending(stack, options.signal);
        await runInline(options.signal, () => stack.refresh({ onEvent: options.onEvent, signal: options.signal }));
      });
    },

    /** Clears the lock this replica's own terminated engine run left; an unlocked stack is fine. */
    async clearLock(context: StackContext, signal: AbortSignal): Promise<void> {
      await withStack(context, signal, (stack) => boundedEngineCall(stack.name, signal, () => stack.cancel()));
    },

    /**
     * The plan for a new or existing tenant. A tenant without a stack is planned on a throwaway
     * stack of its own (never the tenant's name, which has no "."), removed again: a create racing
     * the preview keeps its stack, and concurrent previews never meet.
     */
    async preview(context: StackContext, signal: AbortSignal): Promise<PreviewResult> {
      const existed = await exists(context.tenantId, signal);
      const on = existed ? { name: context.tenantId, create: false } : { name: `${context.tenantId}.preview-${randomBytes(6).toString('hex')}`, create: true };
      return withStack(context, signal, async (stack) => {
        try {
          const { result, steps } = await runInline(signal, async () => {
            const steps: PreviewResult['steps'] = [];
            const result = await stack.preview({
              signal,
              onEvent(event) {
                const step = event.resourcePreEvent?.metadata;
                if (step && step.type !== 'pulumi:pulumi:Stack' && !step.type.startsWith('pulumi:providers:')) {
                  steps.push({ op: step.op, type: step.type, name: step.urn.split('::').at(-1) ?? step.urn, urn: step.urn });
                }
              },
            });
            return { result, steps };
          });
          const summary = result.changeSummary;
          return {
            changes: { create: summary.create ?? 0, update: summary.update ?? 0, delete: summary.delete ?? 0, same: summary.same ?? 0 },
            steps,
          };
        } finally {
          // Its own bound: an aborted preview still removes the stack it created.
          if (!existed) await boundedEngineCall(stack.name, AbortSignal.timeout(CLEANUP_TIMEOUT_MS), () => stack.workspace.removeStack(stack.name));
        }
      }, on).catch((error: unknown) => {
        if (isStackMissing(error)) throw new OperationNotAllowed(`the stack of tenant "${context.tenantId}" was removed during the preview (the tenant is being deleted)`);
        throw error;
      });
    },

    exists,
  };
}

function outputsOf(outputs: Record<string, { value: unknown }>): TenantOutputs {
  const text = (name: keyof TenantOutputs) => String(outputs[name]?.value ?? '');
  return { bucket: text('bucket'), bucketArn: text('bucketArn'), functionName: text('functionName'), functionArn: text('functionArn'), region: text('region') };
}
