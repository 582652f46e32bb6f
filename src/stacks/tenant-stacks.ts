// The Automation API adapter: one project, one stack per tenant (named after the tenant id), an
// inline program, a fixed work dir. Every engine call is awaited and bounded by an AbortSignal.
// It never runs two calls on one stack itself: callers serialize per tenant (operation-queue.ts).
import { LocalWorkspace, type EngineEvent, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { PreviewResult, TenantOutputs } from './tenant-service-types.js';
import type { TenantTarget } from './tenant-target.js';
import { localTenantProgram } from './local-program.js';
import { awsTenantProgram } from './aws-program.js';
import { createEngineWorkspace } from './engine-workspace.js';

export const TENANT_PROJECT = 'thumbforge-tenants';

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

  async function stackFor(tenantId: string, settings: ThumbnailSettings): Promise<Stack> {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: tenantId, projectName: TENANT_PROJECT, program: program(tenantId, settings) },
      await workspace.options(),
    );
    if (target.kind === 'aws') await stack.setConfig('aws:region', { value: target.region });
    return stack;
  }

  async function exists(tenantId: string): Promise<boolean> {
    const ws = await LocalWorkspace.create(await workspace.options());
    const stacks = await ws.listStacks();
    return stacks.some((stack) => stack.name === tenantId || stack.name.endsWith(`/${tenantId}`));
  }

  return {
    async up(tenantId: string, settings: ThumbnailSettings, options: EngineCallOptions): Promise<TenantOutputs> {
      const stack = await stackFor(tenantId, settings);
      const result = await stack.up({ onEvent: options.onEvent, signal: options.signal });
      return outputsOf(result.outputs);
    },

    /** Destroys the tenant's resources, then removes its stack. A stack already gone is fine. */
    async destroy(tenantId: string, settings: ThumbnailSettings, options: EngineCallOptions): Promise<void> {
      if (!(await exists(tenantId))) return;
      const stack = await stackFor(tenantId, settings);
      await stack.destroy({ onEvent: options.onEvent, signal: options.signal });
      await stack.workspace.removeStack(tenantId);
    },

    /** Reads the resources back; `clearPendingCreates` drops creates a crash left unfinished. */
    async refresh(tenantId: string, settings: ThumbnailSettings, options: EngineCallOptions & { clearPendingCreates?: boolean }) {
      const stack = await stackFor(tenantId, settings);
      await stack.refresh({ onEvent: options.onEvent, signal: options.signal, clearPendingCreates: options.clearPendingCreates });
      return outputsOf(await stack.outputs());
    },

    /** Clears a lock a killed process left behind; an unlocked stack is fine. */
    async cancel(tenantId: string, settings: ThumbnailSettings): Promise<void> {
      const stack = await stackFor(tenantId, settings);
      await stack.cancel().catch(() => undefined);
    },

    /** The plan for a new or existing tenant; a stack created only for the preview is removed again. */
    async preview(tenantId: string, settings: ThumbnailSettings, signal: AbortSignal): Promise<PreviewResult> {
      const existed = await exists(tenantId);
      const stack = await stackFor(tenantId, settings);
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
        if (!existed) await stack.workspace.removeStack(tenantId);
      }
    },

    exists,
  };
}

function outputsOf(outputs: Record<string, { value: unknown }>): TenantOutputs {
  const text = (name: keyof TenantOutputs) => String(outputs[name]?.value ?? '');
  return { bucket: text('bucket'), bucketArn: text('bucketArn'), functionName: text('functionName'), functionArn: text('functionArn'), region: text('region') };
}
