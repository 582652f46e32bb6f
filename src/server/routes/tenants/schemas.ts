// The tenant, operation and key shapes the API answers with, the page shapes the tenant routes
// share, and the views that build them from service records. A view never exposes
// an API key (past its creation) or its hash.
import { z } from 'zod';
import { tenantIdSchema } from '../../../domain/tenant-id.js';
import { thumbnailSettingsSchema } from '../../../domain/thumbnail-settings.js';
import { DRIFT_STATUSES, OPERATION_KINDS, OPERATION_STATUSES, TENANT_STATUSES } from '../../../domain/tenant-lifecycle.js';
import type { ApiKeyRecord, Operation, Tenant } from '../../../tenants/tenant-types.js';

export const tenantParams = z.object({ id: tenantIdSchema });

/** An operation's or a key's id: a ULID, as the lifecycle makes them. */
export const recordIdSchema = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'an id as this API gives out (26 characters, a ULID)');

const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

/** `?limit=&cursor=` of every list: the cursor is the `nextCursor` of the page before. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: recordIdSchema.optional(),
});

/** A page of a list, newest first; `nextCursor` is null on the last page. */
export const pageOf = <Item extends z.ZodType>(item: Item) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const tenantStatus = z.enum(TENANT_STATUSES);

export const operationView = z.object({
  id: z.string(),
  kind: z.enum(OPERATION_KINDS),
  status: z.enum(OPERATION_STATUSES),
  attempt: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  settingsVersion: z.number().int().optional().describe('for an up: the settings version it applies'),
  cancelRequestedAt: z.string().optional().describe('a cancel was asked while it ran: it ends as cancelled once its engine run has stopped'),
  error: z.string().optional(),
});

export const keyView = z.object({
  id: z.string(),
  prefix: z.string().describe('the first characters of the key, to tell keys apart'),
  createdAt: z.string(),
  lastUsedAt: z.string().optional().describe('the last request made with it, to the minute'),
});

export const outputsView = z.object({
  bucket: z.string(),
  bucketArn: z.string(),
  functionName: z.string(),
  functionArn: z.string(),
  region: z.string(),
});

export const driftView = z
  .object({
    status: z.enum(DRIFT_STATUSES),
    checkedAt: z.string(),
    changes: z.array(z.object({ op: z.string().describe('update: changed outside Pulumi; delete: gone'), type: z.string(), name: z.string() })),
  })
  .describe("the last drift check (POST /tenants/:id/refresh), or the last successful up's refresh");

export const tenantView = z.object({
  id: z.string(),
  status: tenantStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  settings: thumbnailSettingsSchema,
  settingsVersion: z.number().int(),
  appliedSettingsVersion: z.number().int().optional(),
  outputs: outputsView.optional(),
  drift: driftView.optional(),
  lastOperation: operationView.optional(),
});

/** The answer to every call that queues an operation (create, update, retry, delete). */
export const operationAccepted = z.object({ id: z.string(), status: tenantStatus, operation: operationView });

export function viewOperation(operation: Operation): z.infer<typeof operationView> {
  const { id, kind, status, createdAt, startedAt, finishedAt, attempt, settingsVersion, cancelRequestedAt, error } = operation;
  return { id, kind, status, createdAt, startedAt, finishedAt, attempt, settingsVersion, cancelRequestedAt, error };
}

export function viewKey(key: ApiKeyRecord): z.infer<typeof keyView> {
  const { id, prefix, createdAt, lastUsedAt } = key;
  return { id, prefix, createdAt, lastUsedAt };
}

export function viewTenant(tenant: Tenant, lastOperation?: Operation): z.infer<typeof tenantView> {
  const { id, status, createdAt, updatedAt, settings, settingsVersion, appliedSettingsVersion, outputs, drift } = tenant;
  return { id, status, createdAt, updatedAt, settings, settingsVersion, appliedSettingsVersion, outputs, drift, lastOperation: lastOperation && viewOperation(lastOperation) };
}
