// The PostgreSQL server the tests and the cluster start: on loopback, as the unprivileged user
// when root, a commit kept through a SIGKILL of the whole server, restartable, stop idempotent.
import t from 'tap';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startTestPostgres } from '../helpers/postgres.js';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

t.test('a PostgreSQL server from the machine binaries', async (t) => {
  const server = await startTestPostgres(t);
  t.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/thumbforge$/);
  if (process.getuid?.() === 0) t.not(uidOf(server.pid), 0, 'run as an unprivileged user when started by root');
  await withClient(server.url, async (client) => {
    t.same((await client.query("SELECT current_database() AS db, current_setting('listen_addresses') AS listen")).rows, [{ db: 'thumbforge', listen: '127.0.0.1' }]);
    await client.query('CREATE TABLE kept (id int PRIMARY KEY)');
    await client.query('INSERT INTO kept VALUES (1)');
  });

  const before = server.pid;
  server.kill('SIGKILL');
  await server.restart();
  t.not(server.pid, before, 'a new postmaster');
  t.same(await withClient(server.url, async (client) => (await client.query('SELECT id FROM kept')).rows), [{ id: 1 }], 'the commit survived the SIGKILL');

  await server.stop();
  await server.stop();
  await t.rejects(withClient(server.url, async () => undefined), { code: 'ECONNREFUSED' }, 'stopped means stopped');
});
