// The batched notifier on both backends: notifications asked for together go out once per
// distinct payload, in order, to subscribers on another Database too (another replica on postgres).
import t from 'tap';
import { createNotifier } from '../../src/db/notifications.js';
import { testBackends } from '../helpers/databases.js';

const CHANNEL = 'notifier_test';

for (const backend of testBackends) {
  t.test(`the notifier on ${backend.kind}`, async (t) => {
    const store = await backend.store(t);
    const db = await store.open();
    // A second replica on postgres; PGlite is one process, so its subscriber shares the database.
    const other = backend.kind === 'postgres' ? await store.open() : db;
    const errors: unknown[] = [];
    const notifier = createNotifier(db, CHANNEL, { onError: (error) => errors.push(error) });
    const received: string[] = [];
    let arrived!: () => void;
    const ended = new Promise<void>((resolve) => (arrived = resolve));
    const unsubscribe = await createNotifier(other, CHANNEL).subscribe((payload) => {
      received.push(payload);
      if (payload === 'end') arrived();
    });
    t.teardown(unsubscribe);

    for (const payload of ['op-1', 'op-2', 'op-1', 'op-1', 'op-3']) notifier.notify(payload);
    await notifier.flush();
    notifier.notify('op-2');
    notifier.notify('end');
    await notifier.close();
    notifier.notify('after close');
    await notifier.flush();
    await ended;
    t.same(received, ['op-1', 'op-2', 'op-3', 'op-2', 'end'], 'once per distinct payload per batch, in order, nothing after close');
    t.same(errors, []);
  });
}

t.test('a notification that cannot be sent goes to onError, never to the caller', async (t) => {
  const store = await testBackends.find((backend) => backend.kind === 'postgres')!.store(t);
  const db = await store.open();
  const errors: unknown[] = [];
  const notifier = createNotifier(db, CHANNEL, { onError: (error) => errors.push(error) });
  await store.server!.stop();
  notifier.notify('lost');
  await notifier.flush();
  t.match(errors, [{ name: 'DatabaseUnavailable' }]);
});
