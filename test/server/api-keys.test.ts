// Tenant API keys name their tenant, are stored only as a hash and are checked in constant time.
import t from 'tap';
import { hashApiKey, matchesApiKeyHash, newApiKey, sameSecret, tenantIdOfApiKey } from '../../src/server/auth/api-keys.js';

t.test('a key names its tenant and matches only its own hash', async (t) => {
  const key = newApiKey('acme-2');
  t.match(key, /^tf_acme-2_[A-Za-z0-9_-]{43}$/);
  t.not(newApiKey('acme-2'), key, 'random');
  t.equal(tenantIdOfApiKey(key), 'acme-2');
  const hash = hashApiKey(key);
  t.match(hash, /^[0-9a-f]{64}$/);
  t.notOk(hash.includes(key.slice(10)), 'the hash does not contain the key');
  t.ok(matchesApiKeyHash(key, hash));
  t.notOk(matchesApiKeyHash(`${key}x`, hash), 'a longer key');
  t.notOk(matchesApiKeyHash(key.slice(0, -1), hash), 'a shorter key');
  t.notOk(matchesApiKeyHash(key, 'not-a-hash'), 'a malformed stored hash never matches');
});

t.test('malformed keys name no tenant', async (t) => {
  for (const token of ['', 'tf_', 'tf_acme', 'xx_acme_abc', 'tf_Bad_abc', 'tf__abc']) t.equal(tenantIdOfApiKey(token), undefined, JSON.stringify(token));
});

t.test('secrets of any length compare without throwing', async (t) => {
  t.ok(sameSecret('a'.repeat(40), 'a'.repeat(40)));
  t.notOk(sameSecret('a', 'a'.repeat(40)));
  t.notOk(sameSecret('', 'x'));
});
