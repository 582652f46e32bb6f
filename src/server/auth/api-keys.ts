// Tenant API keys and secret comparison: a key names its tenant (`tf_<tenantId>_<random>`) so the
// tenant is found without a scan; only its sha256 is stored. Never compares secrets with `===`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isTenantId } from '../../domain/tenant-id.js';

const KEY_PREFIX = 'tf_';

export function newApiKey(tenantId: string): string {
  return `${KEY_PREFIX}${tenantId}_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** The tenant a key claims to belong to (tenant ids never contain "_"), or undefined. */
export function tenantIdOfApiKey(apiKey: string): string | undefined {
  if (!apiKey.startsWith(KEY_PREFIX)) return undefined;
  const separator = apiKey.indexOf('_', KEY_PREFIX.length);
  if (separator < 0) return undefined;
  const tenantId = apiKey.slice(KEY_PREFIX.length, separator);
  return isTenantId(tenantId) ? tenantId : undefined;
}

/** Constant-time equality of two secrets of any length (both are hashed to 32 bytes first). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Constant-time check of a presented key against a stored sha256 hex digest. */
export function matchesApiKeyHash(apiKey: string, storedHash: string): boolean {
  const given = Buffer.from(hashApiKey(apiKey), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}
