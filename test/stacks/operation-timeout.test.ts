// A hung engine operation is bounded: with the object store frozen (SIGSTOP), the `up` waits on a
// bucket call that never answers, the operation's timeout aborts it, the tenant is `failed` with a
// readable reason, nothing of the run keeps running, and a retry succeeds once the store is back.
import t from 'tap';
import { processesMentioning } from '../helpers/processes.js';
import { eventually, finished, localTestTarget, openTestService } from '../helpers/stacks.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';

t.test('an operation that hangs fails at its timeout, and a retry then succeeds', async (t) => {
  const env = await localTestTarget(t);
  const service = await openTestService(t, env, { operationTimeoutSeconds: 8 });
  const storePid = env.store.process.pid!;
  process.kill(storePid, 'SIGSTOP');
  t.teardown(() => process.kill(storePid, 'SIGCONT'));

  const started = Date.now();
  const { operation } = await service.provision({ id: 'frozen', settings: DEFAULT_THUMBNAIL_SETTINGS, apiKeyHash: 'x'.repeat(64) });
  const failed = await finished(service, operation.id);
  const seconds = (Date.now() - started) / 1000;
  t.equal(failed.status, 'failed');
  t.match(failed.error, /timed out after 8 s/, 'the reason says what happened');
  t.ok(seconds >= 8 && seconds < 60, `ended by the timeout (${seconds.toFixed(1)} s)`);
  t.equal(service.get('frozen')?.status, 'failed');
  await eventually(() => processesMentioning(env.dataDir).length === 0 || undefined, 'the aborted engine and its provider to exit', 30_000);
  t.pass('no engine or provider process of the aborted run is left');

  process.kill(storePid, 'SIGCONT');
  const retry = await service.retry('frozen');
  const done = await finished(service, retry.id);
  t.equal(done.status, 'succeeded', done.error ?? '');
  t.equal(service.get('frozen')?.status, 'ready');
});
