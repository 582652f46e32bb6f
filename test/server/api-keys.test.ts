// Tenant API keys name their tenant and are stored only as a hash; secrets compare in constant time.
import t from 'tap';
import { apiKeyPrefix, hashApiKey, newApiKey, sameSecret, SHOWN_KEY_CHARACTERS, tenantIdOfApiKey } from '../../src/domain/api-keys.js';

t.test('a key names its tenant and hashes to a digest that does not contain it', async (t) => {
  const key = newApiKey('acme-2');
  t.match(key, /^tf_acme-2_[A-Za-z0-9_-]{43}$/);
  t.not(newApiKey('acme-2'), key, 'random');
  t.equal(tenantIdOfApiKey(key), 'acme-2');
  const hash = hashApiKey(key);
  t.match(hash, /^[0-9a-f]{64}$/);
  t.notOk(hash.includes(key.slice(10)), 'the hash does not contain the key');
  t.not(hashApiKey(`${key}x`), hash, 'a longer key hashes differently');
  t.equal(hashApiKey(key), hash, 'and the same key the same');
});

t.test('a listing shows the tenant part and a few random characters, even when the random part holds "_"', async (t) => {
  const key = `tf_acme-2_ab_cdefgh_${'x'.repeat(30)}_yz`;
  t.equal(apiKeyPrefix(key), 'tf_acme-2_ab_cde');
  t.equal(apiKeyPrefix(key).length, 'tf_acme-2_'.length + SHOWN_KEY_CHARACTERS);
  const fresh = newApiKey('acme');
  t.ok(fresh.startsWith(apiKeyPrefix(fresh)));
});

t.test('malformed keys name no tenant', async (t) => {
  for (const token of ['', 'tf_', 'tf_acme', 'xx_acme_abc', 'tf_Bad_abc', 'tf__abc']) t.equal(tenantIdOfApiKey(token), undefined, JSON.stringify(token));
});

t.test('secrets of any length compare without throwing', async (t) => {
  t.ok(sameSecret('a'.repeat(40), 'a'.repeat(40)));
  t.notOk(sameSecret('a', 'a'.repeat(40)));
  t.notOk(sameSecret('', 'x'));
});
