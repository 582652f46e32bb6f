// Runs the platform program once per account and region (the ECR repository, the thumbnailer
// image and the catalog events queue), in the same backend as the tenant stacks, so they can reference its output. It needs a
// Docker daemon to build the image, so an operator runs it (`npm run platform`), never the service.
import { join } from 'node:path';
import type { EngineEvent, Stack } from '@pulumi/pulumi/automation/index.js';
import { automation } from './automation.js';
import { createEngineWorkspace } from './engine-workspace.js';
import { PLATFORM_EVENTS_QUEUE_OUTPUT, PLATFORM_IMAGE_OUTPUT, PLATFORM_PROJECT, platformProgram } from './platform-program.js';
import type { AwsTarget } from './tenant-target.js';

export const PLATFORM_STACK_NAME = 'platform';

/**
 * The platform stack's fully qualified name, as it is created and as tenant stacks reference it:
 * a self-managed (s3://) backend's organization is always "organization"; Pulumi Cloud's is yours.
 */
export function platformStackName(organization: string): string {
  return `${organization}/${PLATFORM_PROJECT}/${PLATFORM_STACK_NAME}`;
}

export type PlatformCallOptions = { onEvent?: (event: EngineEvent) => void; signal: AbortSignal };

async function platformStack(target: AwsTarget, dataDir: string): Promise<Stack> {
  // An operator's run, one at a time: a fixed work dir under the data dir keeps its stack settings.
  const scratchDir = join(dataDir, 'platform');
  const workspace = createEngineWorkspace({ target, dataDir, scratchDir, projectName: PLATFORM_PROJECT });
  const { LocalWorkspace } = await automation();
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: platformStackName(target.pulumiOrganization), projectName: PLATFORM_PROJECT, program: platformProgram({ eventsQueue: target.eventsQueue }) },
    await workspace.options(PLATFORM_STACK_NAME, join(scratchDir, 'work')),
  );
  await stack.setConfig('aws:region', { value: target.region });
  return stack;
}

/** Builds and pushes the image (again only when its context changed) and sets up the events queue; resolves to their URI and URL. */
export async function upPlatform(target: AwsTarget, dataDir: string, options: PlatformCallOptions): Promise<{ imageUri: string; eventsQueueUrl: string }> {
  const result = await (await platformStack(target, dataDir)).up(options);
  return { imageUri: String(result.outputs[PLATFORM_IMAGE_OUTPUT]?.value ?? ''), eventsQueueUrl: String(result.outputs[PLATFORM_EVENTS_QUEUE_OUTPUT]?.value ?? '') };
}

export async function previewPlatform(target: AwsTarget, dataDir: string, options: PlatformCallOptions): Promise<Record<string, number>> {
  const result = await (await platformStack(target, dataDir)).preview(options);
  return result.changeSummary;
}
