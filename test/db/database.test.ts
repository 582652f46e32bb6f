// The Database contract, run the same on PGlite and on a real PostgreSQL server: queries, type
// round trips, transactions, LISTEN/NOTIFY and concurrent migrations; then what only one backend
// has: PGlite reopened keeps its rows; postgres survives its server stopping and coming back.
import t from 'tap';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { testBackends } from '../helpers/databases.js';

const CHANNEL = 'contract_test';

/** The next payload LISTENed on the channel; resolves with every payload seen so far once `until` arrives. */
async function listenUntil(db: Database, until: string, onReconnect?: () => void) {
  const seen: string[] = [];
  let arrived!: (payloads: string[]) => void;
  const done = new Promise<string[]>((resolve) => (arrived = resolve));
  const unlisten = await db.listen(
    CHANNEL,
    (payload) => {
      seen.push(payload);
      if (payload === until) arrived(seen);
    },
    onReconnect,
  );
  return { seen, done, unlisten };
}

const notify = (db: Database, payload: string) => db.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);

for (const backend of testBackends) {
  t.test(`the database contract on ${backend.kind}`, async (t) => {
    const store = await backend.store(t);
    const db = await store.open();
    t.equal(db.kind, backend.kind);

    t.test('migrate() from three callers at once applies each migration once', async (t) => {
      // Replicas on postgres are separate pools; PGlite has one opener, so its callers share it.
      const callers = backend.kind === 'postgres' ? [db, await store.open(), await store.open()] : [db, db, db];
      const applied = await Promise.all(callers.map((caller) => migrate(caller)));
      t.same(applied.flat().sort((a, b) => a - b), MIGRATIONS.map((migration) => migration.version), 'every version applied by exactly one caller');
      const recorded = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      t.same(recorded, MIGRATIONS.map(({ version, name }) => ({ version, name })));
      t.same(await migrate(db), [], 'nothing left to apply');
      const tables = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
      t.same(tables.map((row) => row.table_name), ['operation_events', 'operations', 'rollout_tenants', 'rollouts', 'schema_migrations', 'tenant_keys', 'tenants', 'thumbnails', 'uploads', 'videos', 'webhook_deliveries', 'webhook_delivery_attempts', 'webhook_endpoints']);
    });

    t.test('queries take params', async (t) => {
      t.same(await db.query('SELECT $1::int + $2::int AS sum, $3::text AS name, $4::text AS nothing', [2, 3, 'ünïcode', null]), [{ sum: 5, name: 'ünïcode', nothing: null }]);
      t.same(await db.query("SELECT 1 AS first; SELECT 'last' AS second"), [{ second: 'last' }], 'several statements without params: the last one answers');
    });

    t.test('a prepared statement answers each time, inside a transaction too', async (t) => {
      const sql = 'SELECT $1::int * 2 AS twice';
      for (const n of [1, 2, 3]) t.same(await db.query(sql, [n], 'test-twice'), [{ twice: n * 2 }]);
      t.same(await db.transaction((tx) => tx.query(sql, [21], 'test-twice')), [{ twice: 42 }]);
    });

    t.test('json, timestamptz, int8 and date read back the same on both backends', async (t) => {
      const settings = { widths: [160, 320], format: 'webp', storyboard: { columns: 5 }, unicode: 'é"\\' };
      const at = new Date('2024-05-06T07:08:09.123Z');
      await db.query('INSERT INTO tenants (id, status, settings, created_at) VALUES ($1, $2, $3, $4)', ['json-tenant', 'ready', JSON.stringify(settings), at]);
      const [row] = await db.query<{ settings: unknown; created_at: unknown; updated_at: unknown; outputs: unknown }>('SELECT * FROM tenants WHERE id = $1', ['json-tenant']);
      t.same(row!.settings, settings, 'jsonb parsed');
      t.equal(row!.outputs, null);
      t.ok(row!.created_at instanceof Date && row!.updated_at instanceof Date, 'timestamptz as Date');
      t.equal((row!.created_at as Date).toISOString(), at.toISOString(), 'the instant round-trips');
      const [types] = await db.query("SELECT count(*) AS count, 9007199254740993::int8 AS huge, '2024-02-29'::date AS day, '[1,{\"a\":null}]'::json AS list FROM tenants");
      t.same(types, { count: 1, huge: 9007199254740993n, day: '2024-02-29', list: [1, { a: null }] });
    });

    t.test('a transaction commits, and rolls back everything on a throw', async (t) => {
      const committed = await db.transaction(async (tx) => {
        await tx.query('INSERT INTO tenants (id, status, settings) VALUES ($1, $2, $3)', ['kept', 'ready', '{}']);
        return (await tx.query('SELECT count(*) AS n FROM tenants WHERE id = $1', ['kept']))[0];
      });
      t.same(committed, { n: 1 }, 'the transaction sees its own write and returns its result');
      await t.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO tenants (id, status, settings) VALUES ($1, $2, $3)', ['dropped', 'ready', '{}']);
          await tx.query('INSERT INTO tenant_keys (id, tenant_id, hash, prefix) VALUES ($1, $2, $3, $4)', ['k1', 'dropped', 'h', 'p']);
          throw new Error('changed my mind');
        }),
        { message: 'changed my mind' },
      );
      await t.rejects(db.transaction((tx) => tx.query('INSERT INTO tenants (id, status, settings) VALUES ($1, NULL, $2)', ['null-status', '{}'])), 'an SQL error rejects');
      const ids = await db.query<{ id: string }>('SELECT id FROM tenants ORDER BY id');
      t.same(ids.map((row) => row.id), ['json-tenant', 'kept'], 'nothing of the failed transactions was written');
      t.same(await db.query('SELECT count(*) AS n FROM tenant_keys'), [{ n: 0 }]);
      t.same(await db.query('SELECT 1 AS alive'), [{ alive: 1 }], 'the database works after a rollback');
    });

    t.test('LISTEN/NOTIFY delivers, and an unlistened subscriber gets nothing more', async (t) => {
      const first = await listenUntil(db, 'one');
      await notify(db, 'one');
      t.same(await first.done, ['one']);
      await first.unlisten();
      const second = await listenUntil(db, 'two');
      await notify(db, 'two');
      t.same(await second.done, ['two'], 'the remaining subscriber got it');
      t.same(first.seen, ['one'], 'the one that unlistened did not');
      await second.unlisten();
      await t.rejects(db.listen('Mixed-Case', () => {}), /lowercase SQL identifier/);
    });

    t.test('ping answers within its timeout', async (t) => {
      t.equal(await db.ping(60_000), true);
    });
  });
}

t.test('PGlite reopened after close keeps its rows', async (t) => {
  const store = await testBackends.find((backend) => backend.kind === 'pglite')!.store(t);
  const first = await store.open();
  await migrate(first);
  await first.query('INSERT INTO tenants (id, status, settings) VALUES ($1, $2, $3)', ['durable', 'ready', JSON.stringify({ widths: [1] })]);
  await first.close();
  const reopened = await store.open();
  t.same(await migrate(reopened), [], 'the schema is still there');
  t.same(await reopened.query('SELECT id, settings FROM tenants'), [{ id: 'durable', settings: { widths: [1] } }]);
});

t.test('postgres: a server stopped and started again', async (t) => {
  const store = await testBackends.find((backend) => backend.kind === 'postgres')!.store(t);
  const connectionErrors: Error[] = [];
  const db = await openDatabase({ ...store.options, onConnectionError: (error) => connectionErrors.push(error) });
  t.teardown(() => db.close());
  await migrate(db);
  let reconnected!: () => void;
  const reconnect = new Promise<void>((resolve) => (reconnected = resolve));
  const listening = await listenUntil(db, 'after restart', () => reconnected());

  const prepared = () => db.query('SELECT $1::text AS again', ['prepared'], 'test-again');
  t.same(await prepared(), [{ again: 'prepared' }], 'a prepared statement before the outage');
  await store.server!.stop();
  await t.rejects(db.query('SELECT 1'), { name: 'DatabaseUnavailable' }, 'a query during the outage rejects as DatabaseUnavailable');
  await t.rejects(db.transaction((tx) => tx.query('SELECT 1')), { name: 'DatabaseUnavailable' }, 'so does a transaction');
  t.equal(await db.ping(2_000), false, 'ping says unreachable');
  t.ok(connectionErrors.length > 0, 'the lost connections were reported, not thrown');

  await store.server!.restart();
  t.same(await db.query('SELECT 1 AS back'), [{ back: 1 }], 'queries work again');
  t.same(await prepared(), [{ again: 'prepared' }], 'is prepared again on the new connections');
  t.equal(await db.ping(60_000), true);
  await reconnect;
  await notify(db, 'after restart');
  t.same(await listening.done, ['after restart'], 'the listener re-subscribed by itself');
});

t.test('postgres: ping says false while the server is frozen, and true once it runs again', async (t) => {
  const store = await testBackends.find((backend) => backend.kind === 'postgres')!.store(t);
  const db = await store.open();
  t.equal(await db.ping(60_000), true);
  store.server!.kill('SIGSTOP');
  t.equal(await db.ping(500), false, 'no answer within the timeout');
  store.server!.kill('SIGCONT');
  t.equal(await db.ping(30_000), true);
});
