// The physical names of a tenant's resources, derived from the tenant id in one place so both
// programs and the name-length tests agree. Never derive a name that can exceed AWS's limits
// for the longest allowed tenant id (TENANT_ID_MAX_LENGTH).

import { CATALOG_RULE_PREFIX } from '../domain/events-queue.js';

/** AWS limits the names are checked against (bucket 63, function 64, role 64, policy 128, log group 512, EventBridge rule 64). */
export const AWS_NAME_LIMITS = { bucket: 63, function: 64, role: 64, policy: 128, logGroup: 512, rule: 64 } as const;

export function functionName(tenantId: string): string {
  return `thumbforge-${tenantId}`;
}

/**
 * Bucket names are global on AWS: the account and region make them unique without random
 * suffixes, so a re-created stack finds the same name. Locally the store is private.
 */
export function bucketName(tenantId: string, account?: { accountId: string; region: string }): string {
  return account ? `${tenantId}-${account.accountId}-${account.region}` : `thumbforge-${tenantId}`;
}

export function roleName(tenantId: string): string {
  return `thumbforge-${tenantId}-fn`;
}

export function logGroupName(tenantId: string): string {
  return `/aws/lambda/${functionName(tenantId)}`;
}

/** The EventBridge rule that sends the bucket's catalog events to the shared queue (whose policy admits this prefix). */
export function catalogRuleName(tenantId: string): string {
  return `${CATALOG_RULE_PREFIX}${tenantId}`;
}
