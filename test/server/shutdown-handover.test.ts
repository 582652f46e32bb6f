// SIGTERM while an operation runs, on one process as `npm start` runs it: the engine is held mid-`up`
// by freezing the object store (its bucket call waits), the grace runs out, and the operation is
// handed back to the queue (`queued`, not left `running` by a process that is gone) before the
// process exits within its 30 s bound. A service started again on the same data dir takes it over
// and finishes it. Waits are on conditions, with generous bounds; no duration is asserted.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { freePort } from '../../src/local/free-port.js';
import { tempDir } from '../helpers/local-store.js';
import { startMain, type MainProcess } from '../helpers/main-process.js';
import { pidListeningOn } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';

type Json = Record<string, any>;
/** Far beyond the 30 s a SIGTERMed replica may take: only a hang fails it. */
const EXIT_BOUND_MS = 120_000;

t.test('SIGTERM during an up hands the operation over; a restarted service finishes it', async (t) => {
  const dataDir = await tempDir(t, 'thumbforge-sigterm-');
  // The same store port across both starts, as a restart of a real deployment keeps it.
  const s3Port = await freePort();
  const env = { THUMBFORGE_DATA_DIR: dataDir, THUMBFORGE_S3_PORT: String(s3Port), THUMBFORGE_SHUTDOWN_GRACE_SECONDS: '1', LOG_LEVEL: 'warn' };
  const first = await startMain(t, env);
  await first.started();
  const token = readFileSync(join(dataDir, 'secrets', 'admin-token'), 'utf8').trim();
  const api = (main: MainProcess, path: string, init: RequestInit = {}) =>
    fetch(`${main.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

  const storePid = pidListeningOn(`127.0.0.1:${s3Port}`);
  process.kill(storePid, 'SIGSTOP');
  let frozen = true;
  t.teardown(() => {
    if (frozen) process.kill(storePid, 'SIGCONT');
  });
  const created = await api(first, '/tenants', { method: 'POST', body: JSON.stringify({ id: 'acme', thumbnail: { widths: [96] } }) });
  t.equal(created.status, 202, 'POST /tenants: 202');
  const { operation } = (await created.json()) as Json;
  await eventually(async () => {
    const { lastOperation } = (await (await api(first, '/tenants/acme')).json()) as Json;
    return lastOperation?.status === 'running' || undefined;
  }, 'the up to run (it then waits on the frozen store)');

  first.kill('SIGTERM');
  const exit = await Promise.race([first.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), EXIT_BOUND_MS).unref())]);
  t.equal(exit, 0, 'the SIGTERMed service exits 0');
  t.match(first.output(), /handing the operation to another replica/, 'it says it handed the operation over');
  // Stopped with the service (SIGKILLed after its SIGTERM went unheard while frozen).
  await eventually(() => {
    try {
      process.kill(storePid, 0);
      return undefined;
    } catch {
      return true;
    }
  }, 'the frozen object store to be gone');
  frozen = false;

  const db = await openDatabase({ dataDir });
  const [row] = await db.query<{ status: string; attempt: number }>('SELECT status, attempt FROM operations WHERE id = $1', [operation.id]);
  await db.close();
  t.match(row, { status: 'queued', attempt: 1 }, 'the operation is back in the queue, not left running');

  const second = await startMain(t, env);
  await second.started();
  const tenant = await eventually(async () => {
    const found = (await (await api(second, '/tenants/acme')).json()) as Json;
    return found.status === 'ready' || found.status === 'failed' ? found : undefined;
  }, 'acme to settle on the restarted service');
  t.equal(tenant.status, 'ready', 'the restarted service finished the up');
  t.match(tenant.lastOperation, { id: operation.id, kind: 'up', status: 'succeeded', attempt: 2 }, 'the same operation, finished by the second attempt');
  second.kill('SIGTERM');
  t.equal(await second.exited, 0, 'the restarted service exits 0');
});
