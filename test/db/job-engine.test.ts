// The job engine on both backends, real pg-boss throughout: the queue table, key_strict_fifo's
// one-job-per-key order (proved from recorded starts and ends), a job sent in a rolled-back
// transaction never existing, payload validation and versions, every queue's backlog as read at
// scrape time, and two engines starting at once.
import t, { type Test } from 'tap';
import { z } from 'zod';
import type { PgBoss } from 'pg-boss';
import { asJobDb, type Database } from '../../src/db/database.js';
import { createJobEngine, defineQueues, jobPayload, queueBacklog, readJobPayload, sendJob, type QueueDefinition } from '../../src/db/job-engine.js';
import { migrate } from '../../src/db/migrate.js';
import { testBackends } from '../helpers/databases.js';
import { eventually } from '../helpers/stacks.js';

const keyedPayload = jobPayload(1, z.object({ key: z.string(), n: z.number().int() }));
const FIFO: QueueDefinition = { name: 'fifo', policy: 'key_strict_fifo', retryLimit: 0, heartbeatSeconds: 10, deadLetter: 'fifo-dead', payload: keyedPayload };
const SENT: QueueDefinition = { name: 'sent', policy: 'standard', retryLimit: 2, retryDelay: 1, notify: true, payload: keyedPayload };
const WAITING: QueueDefinition = { name: 'waiting', policy: 'standard', retryLimit: 0, payload: keyedPayload };
const DEFERRED: QueueDefinition = { name: 'deferred', policy: 'standard', retryLimit: 0, payload: keyedPayload };

/** A started engine on db, stopped at teardown (before the database closes); errors it logs are kept. */
async function startEngine(t: Test, db: Database, replicaId: string) {
  const errors: unknown[] = [];
  const logger = { error: (details: unknown) => errors.push(details), warn: () => {} };
  const boss = await createJobEngine({ db, replicaId, heartbeatSeconds: 10, logger });
  t.teardown(() => boss.stop({ graceful: false, timeout: 5_000 }));
  return { boss, errors };
}

type Step = { key: string; n: number; phase: 'start' | 'end' };

/**
 * Works FIFO; the first job of each key holds until every job was sent and every key's first job
 * started, so later jobs of its key wait, ready, while workers are free to take them.
 */
async function workKeyedJobs(boss: PgBoss, keys: string[], perKey: number, allSent: Promise<void>) {
  const steps: Step[] = [];
  const firstStarted = new Map<string, () => void>();
  const allFirstsStarted = Promise.all(keys.map((key) => new Promise<void>((resolve) => firstStarted.set(key, resolve))));
  let finished!: () => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => ((finished = resolve), (failed = reject)));
  await boss.work(FIFO.name, { localConcurrency: keys.length + 2, pollingIntervalSeconds: 0.5 }, async ([job]) => {
    try {
      const { key, n } = readJobPayload(keyedPayload, job!.data);
      steps.push({ key, n, phase: 'start' });
      if (n === 1) {
        firstStarted.get(key)!();
        // Only reachable if the other keys' first jobs run at the same time (a real hang otherwise).
        await Promise.race([Promise.all([allFirstsStarted, allSent]), new Promise((_, reject) => setTimeout(() => reject(new Error('the keys did not run concurrently')), 300_000).unref())]);
      }
      steps.push({ key, n, phase: 'end' });
      if (steps.length === keys.length * perKey * 2) finished();
    } catch (error) {
      failed(error);
      throw error;
    }
  });
  return { steps, done };
}

for (const backend of testBackends) {
  t.test(`the job engine on ${backend.kind}`, async (t) => {
    const store = await backend.store(t);
    const db = await store.open();
    await migrate(db);
    const { boss, errors } = await startEngine(t, db, `${backend.kind}-replica`);
    await defineQueues(boss, [FIFO, SENT, WAITING, DEFERRED]);

    t.test('the queue table creates its queues and their dead-letter queue', async (t) => {
      const queues = await boss.getQueues([FIFO.name, SENT.name, 'fifo-dead']);
      const byName = new Map(queues.map((queue) => [queue.name, queue]));
      t.match(byName.get(FIFO.name), { policy: 'key_strict_fifo', retryLimit: 0, heartbeatSeconds: 10, deadLetter: 'fifo-dead', notify: false });
      t.match(byName.get(SENT.name), { policy: 'standard', retryLimit: 2, retryDelay: 1, notify: true });
      t.match(byName.get('fifo-dead'), { policy: 'standard' });
      await defineQueues(boss, [{ ...SENT, retryLimit: 5 }]);
      t.match(await boss.getQueue(SENT.name), { retryLimit: 5 }, 'defining again updates the options');
      await t.rejects(defineQueues(boss, [{ ...SENT, policy: 'singleton' }]), /sent is standard, not singleton/, 'a changed policy is refused');
    });

    t.test('key_strict_fifo: one job per key at a time, in order, keys side by side', async (t) => {
      const keys = ['tenant-a', 'tenant-b', 'tenant-c'];
      const perKey = 3;
      let sent!: () => void;
      const work = await workKeyedJobs(boss, keys, perKey, new Promise((resolve) => (sent = resolve)));
      for (let n = 1; n <= perKey; n++) {
        for (const key of keys) await sendJob(boss, FIFO.name, keyedPayload, { key, n }, { singletonKey: key });
      }
      sent();
      await work.done;
      await boss.offWork(FIFO.name);
      for (const key of keys) {
        const ofKey = work.steps.filter((step) => step.key === key).map((step) => `${step.phase} ${step.n}`);
        t.same(ofKey, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3'], `${key}: each job ends before the next starts, in send order`);
      }
      const firstEnd = work.steps.findIndex((step) => step.phase === 'end');
      const startsBeforeFirstEnd = work.steps.slice(0, firstEnd).filter((step) => step.phase === 'start').map((step) => step.key);
      t.same(startsBeforeFirstEnd.sort(), keys, 'every key had a job running before any job ended');
    });

    t.test('a job sent in a rolled-back transaction never exists; a committed one does', async (t) => {
      await t.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO tenants (id, status, settings) VALUES ($1, $2, $3)', ['rolled-back', 'provisioning', '{}']);
          await sendJob(boss, SENT.name, keyedPayload, { key: 'rolled-back', n: 1 }, { db: asJobDb(tx) });
          throw new Error('abandon');
        }),
        { message: 'abandon' },
      );
      t.same(await boss.findJobs(SENT.name, { data: { key: 'rolled-back' } }), [], 'no job');
      t.same(await db.query('SELECT id FROM tenants'), [], 'no row');
      const id = await db.transaction(async (tx) => {
        await tx.query('INSERT INTO tenants (id, status, settings) VALUES ($1, $2, $3)', ['committed', 'provisioning', '{}']);
        return sendJob(boss, SENT.name, keyedPayload, { key: 'committed', n: 1 }, { db: asJobDb(tx) });
      });
      const [job] = await boss.findJobs(SENT.name, { data: { key: 'committed' } });
      t.equal(job?.id, id, 'the job exists with the id send returned');
      t.same(job?.data, { key: 'committed', n: 1, version: 1 }, 'stamped with its payload version');
    });

    t.test('a payload is validated on send and its version checked on read', async (t) => {
      await t.rejects(sendJob(boss, SENT.name, keyedPayload, { key: 'bad', n: 1.5 }), { name: 'InvalidJobPayload' });
      await t.rejects(sendJob(boss, SENT.name, keyedPayload, { key: 7 } as never), /invalid payload for queue "sent": key: .*; n: /);
      t.same(await boss.findJobs(SENT.name, { data: { key: 'bad' } }), [], 'nothing was sent');
      t.throws(() => readJobPayload(keyedPayload, { key: 'old', n: 1 }), { name: 'UnknownPayloadVersion' });
      t.throws(() => readJobPayload(keyedPayload, { key: 'old', n: 1, version: 2 }), { message: 'job payload version 2 is not 1' });
      t.same(readJobPayload(keyedPayload, { key: 'k', n: 2, version: 1 }), { key: 'k', n: 2 });
      t.throws(() => jobPayload(1, z.object({ version: z.number() })), /reserved|stamped/);
    });

    t.test("queueBacklog: each queue's waiting and running jobs, and how long the oldest that may run has waited", async (t) => {
      const backlogOf = async (name: string) => (await queueBacklog(db)).find((queue) => queue.queue === name);
      t.same(await backlogOf('fifo-dead'), { queue: 'fifo-dead', waiting: 0, active: 0, oldestWaitingSeconds: 0 }, 'a queue with no jobs, all zero');
      await sendJob(boss, DEFERRED.name, keyedPayload, { key: 'later', n: 1 }, { startAfter: 3600 });
      t.same(await backlogOf(DEFERRED.name), { queue: DEFERRED.name, waiting: 1, active: 0, oldestWaitingSeconds: 0 }, 'a deferred job waits, but cannot run yet');

      for (const n of [1, 2]) await sendJob(boss, WAITING.name, keyedPayload, { key: 'now', n });
      const waited = await eventually(async () => {
        const backlog = await backlogOf(WAITING.name);
        return backlog!.oldestWaitingSeconds > 0 ? backlog : undefined;
      }, 'the oldest ready job to have waited');
      t.match(waited, { waiting: 2, active: 0 });

      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await boss.work(WAITING.name, { localConcurrency: 1, pollingIntervalSeconds: 0.5 }, () => held);
      const running = await eventually(async () => {
        const backlog = await backlogOf(WAITING.name);
        return backlog!.active === 1 ? backlog : undefined;
      }, 'one job running');
      t.equal(running.waiting, 1, 'the other still waits');
      t.ok(running.oldestWaitingSeconds > 0, 'and has waited');
      release();
      const done = await eventually(async () => {
        const backlog = await backlogOf(WAITING.name);
        return backlog!.waiting + backlog!.active === 0 ? backlog : undefined;
      }, 'both done');
      await boss.offWork(WAITING.name);
      t.same(done, { queue: WAITING.name, waiting: 0, active: 0, oldestWaitingSeconds: 0 }, 'finished jobs are not backlog');
    });

    t.test('the engine logged no errors', async (t) => {
      t.same(errors, []);
    });
  });
}

t.test('two engines started at once on one postgres database both work', async (t) => {
  const store = await testBackends.find((backend) => backend.kind === 'postgres')!.store(t);
  const [first, second] = await Promise.all([store.open(), store.open()]);
  // Both install pg-boss's schema and define the same queues at the same moment.
  const engines = await Promise.all([startEngine(t, first!, 'replica-1'), startEngine(t, second!, 'replica-2')]);
  const table: QueueDefinition[] = [
    { ...SENT, name: 'to-first', deadLetter: 'shared-dead' },
    { ...SENT, name: 'to-second', deadLetter: 'shared-dead' },
  ];
  await Promise.all(engines.map(({ boss }) => defineQueues(boss, table)));
  const handled = engines.map(({ boss }, i) => {
    return new Promise<unknown>((resolve) => void boss.work(i === 0 ? 'to-first' : 'to-second', { pollingIntervalSeconds: 0.5 }, async ([job]) => resolve(job!.data)));
  });
  // Each engine sends the other's job.
  await sendJob(engines[1]!.boss, 'to-first', keyedPayload, { key: 'from-second', n: 1 });
  await sendJob(engines[0]!.boss, 'to-second', keyedPayload, { key: 'from-first', n: 1 });
  t.same(await Promise.all(handled), [
    { key: 'from-second', n: 1, version: 1 },
    { key: 'from-first', n: 1, version: 1 },
  ]);
  t.same(engines.flatMap((engine) => engine.errors), [], 'no errors logged');
});
