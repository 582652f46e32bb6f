// The tenant-id rule, defined once: it names the stack, the bucket and the function, so it
// must stay within every target's naming limits. Never relax it without checking those limits.
import { z } from 'zod';

export const TENANT_ID_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
export const TENANT_ID_MAX_LENGTH = 32;

export const tenantIdSchema = z
  .string()
  .regex(TENANT_ID_PATTERN, 'a tenant id is 3-32 characters of a-z, 0-9 and "-", starting with a letter and not ending with "-"');

export function isTenantId(value: string): boolean {
  return TENANT_ID_PATTERN.test(value);
}
