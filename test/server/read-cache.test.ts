// The read cache: an answer is kept while fresh (the TTL, or an earlier end such as a link's
// signing window), frozen; a change of its tenant, or of anything, drops it; failures, absent
// answers and answers loaded across a change are never kept. On both databases, the change notices
// of migration 9 reach a cache following them from another connection (another replica on
// postgres): every write to what the reads answer sends one, a key's last use does not.
import t from 'tap';
import { migrate } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/database.js';
import { createReadCache, followReadChanges, READ_CACHE_TTL_MS, READ_CHANGES_CHANNEL } from '../../src/server/read-cache.js';
import { testBackends } from '../helpers/databases.js';

function counted<T>(value: () => T) {
  const load = async () => {
    load.calls++;
    return value();
  };
  load.calls = 0;
  return load;
}

t.test('an answer is kept while fresh, frozen, and dropped when its tenant changes', async (t) => {
  let clock = 1_000_000;
  const cache = createReadCache({ now: () => clock });
  t.equal(cache.keepsKeys, false, 'keys are not kept unless asked');
  const a = counted(() => ({ items: [{ id: 'v1' }] }));
  const b = counted(() => ({ items: [] }));

  const first = await cache.read('acme', 'videos', a);
  t.equal(await cache.read('acme', 'videos', a), first, 'the same object again');
  t.equal(a.calls, 1, 'loaded once');
  t.ok(Object.isFrozen(first) && Object.isFrozen(first.items) && Object.isFrozen(first.items[0]), 'frozen all the way down');

  await cache.read('globex', 'videos', b);
  cache.changed('acme');
  await cache.read('acme', 'videos', a);
  await cache.read('globex', 'videos', b);
  t.same([a.calls, b.calls], [2, 1], "a change of acme's drops acme's answers only");

  cache.changedAll();
  await cache.read('acme', 'videos', a);
  await cache.read('globex', 'videos', b);
  t.same([a.calls, b.calls], [3, 2], 'a change of anything drops every answer');

  clock += READ_CACHE_TTL_MS - 1;
  await cache.read('acme', 'videos', a);
  t.equal(a.calls, 3, 'still fresh just before the TTL');
  clock += 1;
  await cache.read('acme', 'videos', a);
  t.equal(a.calls, 4, 'loaded again at the TTL');

  const linked = counted(() => ({ url: 'signed' }));
  await cache.read('acme', 'video v1', linked, clock + 10);
  clock += 9;
  await cache.read('acme', 'video v1', linked, clock + 10_000);
  t.equal(linked.calls, 1, 'kept until its own end');
  clock += 1;
  await cache.read('acme', 'video v1', linked);
  t.equal(linked.calls, 2, 'loaded again at its end, before the TTL');
});

t.test('failures, absent answers and answers loaded across a change are not kept', async (t) => {
  const cache = createReadCache();
  const absent = counted(() => undefined);
  await cache.read('acme', 'key k', absent);
  await cache.read('acme', 'key k', absent);
  t.equal(absent.calls, 2, 'an absent answer is looked up again');

  let failures = 0;
  const failing = async () => {
    failures++;
    throw new Error('not found');
  };
  await t.rejects(cache.read('acme', 'video v9', failing), /not found/);
  await t.rejects(cache.read('acme', 'video v9', failing), /not found/);
  t.equal(failures, 2, 'a failure is not kept');

  for (const change of [() => cache.changed('globex'), () => cache.changedAll()]) {
    let release!: (value: { status: string }) => void;
    let loads = 0;
    const held = () => {
      loads++;
      return new Promise<{ status: string }>((resolve) => (release = resolve));
    };
    const reading = cache.read('acme', 'video v1', held);
    change();
    release({ status: 'pending' });
    t.same(await reading, { status: 'pending' }, 'the caller gets what was loaded');
    const again = cache.read('acme', 'video v1', held);
    release({ status: 'ready' });
    t.same(await again, { status: 'ready' }, 'a change during the load: not kept, loaded again');
    t.equal(loads, 2);
    cache.changedAll();
  }
});

const TENANT_SETTINGS = JSON.stringify({ widths: [320] });

for (const backend of testBackends) {
  t.test(`change notices on ${backend.kind} drop a following cache's answers`, async (t) => {
    const store = await backend.store(t);
    const db = await store.open();
    await migrate(db);
    // Another replica on postgres; PGlite is one process, whose cache follows the same database.
    const other: Database = backend.kind === 'postgres' ? await store.open() : db;
    const cache = createReadCache();
    t.teardown(await followReadChanges(other, cache));
    // Subscribed after the cache, so once a notice reaches this list it has reached the cache.
    const notices: string[] = [];
    const waiters: Array<{ tenant: string; arrived: () => void }> = [];
    t.teardown(
      await other.listen(READ_CHANGES_CHANNEL, (tenant) => {
        notices.push(tenant);
        for (const waiter of waiters.filter((candidate) => candidate.tenant === tenant)) waiter.arrived();
      }),
    );
    const noticeFor = (tenant: string) => new Promise<void>((arrived) => waiters.push({ tenant, arrived }));

    for (const id of ['acme', 'globex', 'initech', 'end']) {
      await db.query(`INSERT INTO tenants (id, status, settings) VALUES ($1, 'ready', $2)`, [id, TENANT_SETTINGS]);
    }
    await db.query(`INSERT INTO tenant_keys (id, tenant_id, hash, prefix) VALUES ('k1', 'initech', 'h1', 'p1')`);
    const loads = counted(() => ({ status: 'pending' }));
    await cache.read('globex', 'video v1', loads);

    // Each write below is its own transaction; a notice arrives in commit order.
    await db.query(`UPDATE tenant_keys SET last_used_at = now() WHERE id = 'k1'`);
    await db.query(`UPDATE tenants SET status = 'updating' WHERE id = 'acme'`);
    await cache.read('globex', 'video v1', loads);
    t.equal(loads.calls, 1, "acme's change leaves globex's answer");
    const globexChanged = noticeFor('globex');
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO videos (tenant_id, id, name, key, status, size, content_type, created_at) VALUES ('globex', 'v1', 'a.mp4', 'videos/v1/a.mp4', 'ready', 10, 'video/mp4', now())`,
      );
      await tx.query(`INSERT INTO thumbnails (tenant_id, key, video_id, width, size, created_at) VALUES ('globex', 'thumbnails/v1/320.jpg', 'v1', 320, 5, now())`);
    });
    await globexChanged;
    await cache.read('globex', 'video v1', loads);
    t.equal(loads.calls, 2, "globex's video recorded on the other connection: its answer is dropped");
    await db.query(`UPDATE videos SET deleted_at = now() WHERE tenant_id = 'globex' AND id = 'v1'`);
    await db.query(`DELETE FROM thumbnails WHERE tenant_id = 'globex'`);
    await db.query(`UPDATE tenant_keys SET revoked_at = now() WHERE id = 'k1'`);
    await db.query(`DELETE FROM tenants WHERE id = 'acme'`);
    const ended = noticeFor('end');
    await db.query(`UPDATE tenants SET status = 'deleting' WHERE id = 'end'`);
    await ended;
    t.same(
      notices,
      ['acme', 'globex', 'globex', 'globex', 'initech', 'acme', 'end'],
      "one notice per transaction and tenant: a tenant's update, its video and thumbnail written together, the video deleted, its thumbnail deleted, a key revoked, a tenant deleted; not a key's last use, nor a tenant's creation",
    );
  });
}
