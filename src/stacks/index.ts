// What the rest of thumbforge uses from src/stacks: the tenant stacks for a target, the shapes
// they answer with, and the platform stack. Nothing outside this folder imports a Pulumi type.
export type { TenantOutputs, PreviewResult, DriftChange, DriftReport } from './tenant-outputs.js';
export { resourceDeleteTimeoutSeconds, type TenantTarget, type LocalTarget, type AwsTarget } from './tenant-target.js';
export { createTenantStacks, type TenantStacks, type StackContext } from './tenant-stacks.js';
export { platformStackName, previewPlatform, upPlatform } from './platform-stack.js';
