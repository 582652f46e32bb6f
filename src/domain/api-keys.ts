// Tenant API keys and secret comparison: a key names its tenant (`tf_<tenantId>_<random>`), and
// only its sha256 is stored, found by an index lookup (a 256-bit random key's hash gives a timing
// observer nothing to steer). Never compares secrets with `===`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isTenantId } from './tenant-id.js';

const KEY_PREFIX = 'tf_';

export function newApiKey(tenantId: string): string {
  return `${KEY_PREFIX}${tenantId}_${randomBytes(32).toString('base64url')}`;
}

/** Random characters a listing shows after `tf_<tenantId>_`: enough to tell keys apart, far too few to use. */
export const SHOWN_KEY_CHARACTERS = 6;

/** The key's shown part in listings, `tf_<tenantId>_` and the first few random characters. */
export function apiKeyPrefix(apiKey: string): string {
  return apiKey.slice(0, apiKey.indexOf('_', KEY_PREFIX.length) + 1 + SHOWN_KEY_CHARACTERS);
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
