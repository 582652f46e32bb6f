// Tenant keys across replicas on one PostgreSQL server: a key made on one replica works on another,
// and once revoked on one it is refused by the other on its very next check (keys are read from the
// database on every request; no replica caches them).
import t from 'tap';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { startTestPostgres } from '../helpers/postgres.js';
import { finished, localTestTarget, openTestTenants } from '../helpers/stacks.js';

t.test('a key revoked on one replica is refused at once on another', async (t) => {
  const server = await startTestPostgres(t);
  const env = await localTestTarget(t);
  const first = await openTestTenants(t, env, { databaseUrl: server.url, replicaId: 'first' });
  const second = await openTestTenants(t, env, { databaseUrl: server.url, replicaId: 'second' });

  const { operation, apiKey: original } = await first.tenants.provision({ id: 'acme', settings: DEFAULT_THUMBNAIL_SETTINGS });
  const { key, apiKey } = await first.tenants.createKey('acme');
  t.equal(await second.tenants.authenticate(apiKey), 'acme', 'a key made on the first replica works on the second');
  t.equal(await second.tenants.authenticate(original), 'acme', 'and so does the first key');
  t.same((await second.tenants.keys('acme', { limit: 10 })).items.map((item) => item.id)[0], key.id, 'listed there, newest first');

  await first.tenants.revokeKey('acme', key.id);
  t.equal(await second.tenants.authenticate(apiKey), undefined, 'revoked on the first: refused by the second on its next check');
  t.equal(await first.tenants.authenticate(apiKey), undefined, 'and by the first');
  t.equal(await second.tenants.authenticate(original), 'acme', 'the other key still works');
  t.equal((await finished(first.tenants, operation.id)).status, 'succeeded', 'the tenant provisioned meanwhile');
});
