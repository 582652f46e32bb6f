// The tenant and operation shapes the API answers with, and the views that build them from
// service records. A view never exposes the API key hash.
import { z } from 'zod';
import { tenantIdSchema } from '../../../domain/tenant-id.js';
import { thumbnailSettingsSchema } from '../../../domain/thumbnail-settings.js';
import { OPERATION_KINDS, OPERATION_STATUSES, TENANT_STATUSES } from '../../../domain/tenant-lifecycle.js';
import type { Operation, Tenant } from '../../../tenants/tenant-types.js';

export const tenantParams = z.object({ id: tenantIdSchema });

const tenantStatus = z.enum(TENANT_STATUSES);

export const operationView = z.object({
  id: z.string(),
  kind: z.enum(OPERATION_KINDS),
  status: z.enum(OPERATION_STATUSES),
  attempt: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
});

export const outputsView = z.object({
  bucket: z.string(),
  bucketArn: z.string(),
  functionName: z.string(),
  functionArn: z.string(),
  region: z.string(),
});

export const tenantView = z.object({
  id: z.string(),
  status: tenantStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  settings: thumbnailSettingsSchema,
  settingsVersion: z.number().int(),
  appliedSettingsVersion: z.number().int().optional(),
  outputs: outputsView.optional(),
  lastOperation: operationView.optional(),
});

/** The answer to every call that queues an operation (create, retry, delete). */
export const operationAccepted = z.object({ id: z.string(), status: tenantStatus, operation: operationView });

export function viewOperation(operation: Operation): z.infer<typeof operationView> {
  const { id, kind, status, createdAt, startedAt, finishedAt, attempt, error } = operation;
  return { id, kind, status, createdAt, startedAt, finishedAt, attempt, error };
}

export function viewTenant(tenant: Tenant, lastOperation?: Operation): z.infer<typeof tenantView> {
  const { id, status, createdAt, updatedAt, settings, settingsVersion, appliedSettingsVersion, outputs } = tenant;
  return { id, status, createdAt, updatedAt, settings, settingsVersion, appliedSettingsVersion, outputs, lastOperation: lastOperation && viewOperation(lastOperation) };
}
