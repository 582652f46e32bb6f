// What the rest of thumbforge uses from src/stacks: open the tenant store and the tenant service
// for a target. Nothing outside this folder imports a Pulumi type through here.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TenantService } from './tenant-service-types.js';
import type { TenantStore } from './tenant-store.js';
import type { TenantTarget } from './tenant-target.js';
import { createTenantStacks } from './tenant-stacks.js';
import { createTenantService } from './tenant-service.js';

export type * from './tenant-service-types.js';
export type { TenantStore } from './tenant-store.js';
export type { TenantTarget, LocalTarget, AwsTarget } from './tenant-target.js';
export { openTenantStore } from './sqlite-tenant-store.js';

/** The store's file under the data dir. */
export function tenantStorePath(dataDir: string): string {
  return join(dataDir, 'thumbforge.sqlite');
}

export type OpenTenantServiceOptions = {
  store: TenantStore;
  target: TenantTarget;
  dataDir: string;
  maxConcurrentOperations: number;
  operationTimeoutSeconds: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  closeGraceSeconds?: number;
};

/**
 * Opens the service; operations a crash left running are recovered before it resolves.
 * The service owns the store from then on: close() closes it.
 */
export function openTenantService(options: OpenTenantServiceOptions): Promise<TenantService> {
  const { target, dataDir, ...rest } = options;
  return createTenantService({ ...rest, stacks: createTenantStacks({ target, dataDir }) });
}

export { PLATFORM_STACK, previewPlatform, upPlatform } from './platform-stack.js';
