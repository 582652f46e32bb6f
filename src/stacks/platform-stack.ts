// Runs the platform program once per account and region (the ECR repository, the thumbnailer
// image and the catalog events queue), in the same backend as the tenant stacks, so they can reference its output. It needs a
// Docker daemon to build the image, so an operator runs it (`npm run platform`), never the service.
import { join } from 'node:path';
import { LocalWorkspace, type EngineEvent, type Stack } from '@pulumi/pulumi/automation/index.js';
import { createEngineWorkspace } from './engine-workspace.js';
import { PLATFORM_EVENTS_QUEUE_OUTPUT, PLATFORM_IMAGE_OUTPUT, PLATFORM_PROJECT, platformProgram } from './platform-program.js';
import type { AwsTarget } from './tenant-target.js';

export const PLATFORM_STACK_NAME = 'platform';
/** Its fully qualified name in a self-managed (s3://) backend, as tenant stacks reference it. */
export const PLATFORM_STACK = `organization/${PLATFORM_PROJECT}/${PLATFORM_STACK_NAME}`;

export type PlatformCallOptions = { onEvent?: (event: EngineEvent) => void; signal: AbortSignal };

async function platformStack(target: AwsTarget, dataDir: string): Promise<Stack> {
  // An operator's run, one at a time: a fixed work dir under the data dir keeps its stack settings.
  const scratchDir = join(dataDir, 'platform');
  const workspace = createEngineWorkspace({ target, dataDir, scratchDir, projectName: PLATFORM_PROJECT });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: PLATFORM_STACK_NAME, projectName: PLATFORM_PROJECT, program: platformProgram({ eventsQueue: target.eventsQueue }) },
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
