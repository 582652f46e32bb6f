// The Automation API adapter: one project, one stack per tenant (named after the tenant id), an inline
// program, a fixed work dir. Every engine call is awaited and bounded by an AbortSignal (boundedEngineCall
// where the API takes none). It never runs two calls on one stack itself: callers serialize per tenant.
import { LocalWorkspace, type EngineEvent, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { PreviewResult, TenantOutputs } from './tenant-service-types.js';
import type { TenantTarget } from './tenant-target.js';
import { localTenantProgram } from './local-program.js';
import { awsTenantProgram } from './aws-program.js';
import { createEngineWorkspace } from './engine-workspace.js';
import { boundedEngineCall } from './engine-processes.js';

export const TENANT_PROJECT = 'thumbforge-tenants';
/** The bound of clean-up calls that run after their operation's signal has already fired. */
export const CLEANUP_TIMEOUT_MS = 30_000;

export type EngineCallOptions = { onEvent?: (event: EngineEvent) => void; signal: AbortSignal };

export type TenantStacks = ReturnType<typeof createTenantStacks>;

export function createTenantStacks(deps: { target: TenantTarget; dataDir: string }) {
  const { target, dataDir } = deps;
  const workspace = createEngineWorkspace({ target, dataDir, projectName: TENANT_PROJECT });

  function program(tenantId: string, settings: ThumbnailSettings): PulumiFn {
    return target.kind === 'local'
      ? localTenantProgram({ tenantId, settings, region: target.connection.region })
      : awsTenantProgram({ tenantId, settings, region: target.region, image: target.image });
  }

  /** Selects (or creates) the tenant's stack; each CLI call is bounded by `signal`. */
  async function stackFor(tenantId: string, settings: ThumbnailSettings, signal: AbortSignal): Promise<Stack> {
    const options = await workspace.options(tenantId);
    const stack = await boundedEngineCall(tenantId, signal, () =>
      LocalWorkspace.createOrSelectStack({ stackName: tenantId, projectName: TENANT_PROJECT, program: program(tenantId, settings) }, options),
    );
    if (target.kind === 'aws') await boundedEngineCall(tenantId, signal, () => stack.setConfig('aws:region', { value: target.region }));
    return stack;
  }

  async function exists(tenantId: string, signal: AbortSignal): Promise<boolean> {
    const ws = await LocalWorkspace.create(await workspace.options(tenantId));
    const stacks = await boundedEngineCall(tenantId, signal, () => ws.listStacks());
    return stacks.some((stack) => stack.name === tenantId || stack.name.endsWith(`/${tenantId}`));
  }

  const removeStack = (stack: Stack, signal: AbortSignal) => boundedEngineCall(stack.name, signal, () => stack.workspace.removeStack(stack.name));

  return {
    async up(tenantId: string, settings: ThumbnailSettings, options: EngineCallOptions): Promise<TenantOutputs> {
      const stack = await stackFor(tenantId, settings, options.signal);
      const result = await stack.up({ onEvent: options.onEvent, signal: options.signal });
      return outputsOf(result.outputs);
    },

    /** Destroys the tenant's resources, then removes its stack. A stack already gone is fine. */
    async destroy(tenantId: string, settings: ThumbnailSettings, options: EngineCallOptions): Promise<void> {
      if (!(await exists(tenantId, options.signal))) return;
      const stack = await stackFor(tenantId, settings, options.signal);
      await stack.destroy({ onEvent: options.onEvent, signal: options.signal });
      await removeStack(stack, options.signal);
    },

    /** Reads the resources back; `clearPendingCreates` drops creates a crash left unfinished. */
    async refresh(tenantId: string, settings: ThumbnailSettings, options: EngineCallOptions & { clearPendingCreates?: boolean }) {
      const stack = await stackFor(tenantId, settings, options.signal);
      await stack.refresh({ onEvent: options.onEvent, signal: options.signal, clearPendingCreates: options.clearPendingCreates });
      return outputsOf(await boundedEngineCall(tenantId, options.signal, () => stack.outputs()));
    },

    /** Clears a lock a killed process left behind; an unlocked stack is fine, an abort is not. */
    async cancel(tenantId: string, settings: ThumbnailSettings, signal: AbortSignal): Promise<void> {
      const stack = await stackFor(tenantId, settings, signal);
      await boundedEngineCall(tenantId, signal, () => stack.cancel()).catch((error: unknown) => {
        if (signal.aborted) throw error;
      });
    },

    /** The plan for a new or existing tenant; a stack created only for the preview is removed again. */
    async preview(tenantId: string, settings: ThumbnailSettings, signal: AbortSignal): Promise<PreviewResult> {
      const existed = await exists(tenantId, signal);
      const stack = await stackFor(tenantId, settings, signal);
      const steps: PreviewResult['steps'] = [];
      try {
        const result = await stack.preview({
          signal,
          onEvent(event) {
            const step = event.resourcePreEvent?.metadata;
            if (step && step.type !== 'pulumi:pulumi:Stack' && !step.type.startsWith('pulumi:providers:')) {
              steps.push({ op: step.op, type: step.type, name: step.urn.split('::').at(-1) ?? step.urn, urn: step.urn });
            }
          },
        });
        const summary = result.changeSummary;
        return {
          changes: { create: summary.create ?? 0, update: summary.update ?? 0, delete: summary.delete ?? 0, same: summary.same ?? 0 },
          steps,
        };
      } finally {
        // Its own bound: an aborted preview still removes the stack it created.
        if (!existed) await removeStack(stack, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
      }
    },

    exists,
  };
}

function outputsOf(outputs: Record<string, { value: unknown }>): TenantOutputs {
  const text = (name: keyof TenantOutputs) => String(outputs[name]?.value ?? '');
  return { bucket: text('bucket'), bucketArn: text('bucketArn'), functionName: text('functionName'), functionArn: text('functionArn'), region: text('region') };
}
