// A hung engine operation is bounded: with the object store frozen (SIGSTOP), the `up` waits on a
// bucket call that never answers, the operation's timeout aborts it, the tenant is `failed` with a
// readable reason, nothing of the run keeps running, and a retry succeeds once the store is back.
// Only the hang races the short timeout, and the hang is certain; the retry is real work, so it runs
// in a second service on the same data dir whose timeout no load comes near.
import t from 'tap';
import { processesMentioning } from '../helpers/processes.js';
import { eventually, finished, localTestTarget, openTestTenants } from '../helpers/stacks.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';

t.test('an operation that hangs fails at its timeout, and a retry then succeeds', async (t) => {
  const env = await localTestTarget(t);
  const replica = await openTestTenants(t, env, { operationTimeoutSeconds: 8 });
  const hanging = replica.tenants;
  const storePid = env.store.process.pid!;
  process.kill(storePid, 'SIGSTOP');
  let frozen = true;
  const thaw = () => {
    if (frozen) process.kill(storePid, 'SIGCONT');
    frozen = false;
  };
  t.teardown(thaw);

  const started = Date.now();
  const { operation } = await hanging.provision({ id: 'frozen', settings: DEFAULT_THUMBNAIL_SETTINGS });
  const failed = await finished(hanging, operation.id);
  const seconds = (Date.now() - started) / 1000;
  t.equal(failed.status, 'failed');
  t.match(failed.error, /timed out after 8 s/, 'the reason says what happened');
  // A lower bound only: the store never answers, so nothing but the timeout can end the operation.
  t.ok(seconds >= 8, `ended by the timeout, not before it (${seconds.toFixed(1)} s)`);
  t.equal((await hanging.get('frozen'))?.status, 'failed');
  await eventually(() => processesMentioning(env.dataDir).length === 0 || undefined, 'the aborted engine and its provider to exit');
  t.pass('no engine or provider process of the aborted run is left');

  thaw();
  await replica.close();
  const service = (await openTestTenants(t, env)).tenants;
  t.equal((await service.get('frozen'))?.status, 'failed', 'the failed tenant is still failed after a restart');
  const retry = await service.retry('frozen');
  const done = await finished(service, retry.id);
  t.equal(done.status, 'succeeded', done.error ?? '');
  t.equal((await service.get('frozen'))?.status, 'ready');
});
