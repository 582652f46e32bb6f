// The local function runner with real parts: versitygw, real registrations, PGlite with the real
// job engine, and real ffmpeg. Store event → durable job → trigger filters → AWS-shaped event →
// handler → thumbnails; the concurrency bound; an event outliving the service; the reconcile (which
// also finishes a video with only some widths); retries, timeouts and the dead letter. Tests wait on
// conditions (jobs settled, deliveries seen); deadlines only catch a real hang.
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import type { PgBoss } from 'pg-boss';
import { asJobDb, openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createJobEngine } from '../../src/db/job-engine.js';
import { createFunctionRunner, type FunctionRunner, type FunctionRunnerOptions } from '../../src/local/function-runner.js';
import {
  OBJECT_EVENTS_DEAD_LETTER_QUEUE,
  OBJECT_EVENTS_QUEUE,
  OBJECT_RECONCILE_QUEUE,
  REGENERATIONS_DEAD_LETTER_QUEUE,
  REGENERATIONS_QUEUE,
} from '../../src/local/object-event-queue.js';
import { newRegenerationId } from '../../src/domain/thumbnail-regeneration.js';
import type { ThumbnailEvent } from '../../src/lambda-image/handler.js';
import { registerFunction, registerTrigger } from '../../src/domain/local-registrations.js';
import { newVideoId, thumbnailErrorKey, thumbnailKey, VIDEO_PREFIX, VIDEO_SUFFIXES, videoKey } from '../../src/domain/video-layout.js';
import { createThumbnailHandler } from '../../src/lambda-image/handler.js';
import { LOCAL_REGION } from '../../src/local/object-store.js';
import { startTestStore, tempDir, testS3Client } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { imageInfo, makeVideo } from '../helpers/videos.js';

type LogEntry = { level: 'info' | 'warn' | 'error'; details: Record<string, unknown>; message?: string; at: number };

function recordingLogger() {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (details: object, message?: string) => entries.push({ level, details: details as Record<string, unknown>, message, at: Date.now() });
  const invocations = () => entries.filter((entry) => entry.message === 'function invoked');
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, entries, invocations };
}

const quiet = { warn() {}, error() {} };
/** Where the test's forward sends its own jobs, in the delivery's transaction. */
const FORWARD_QUEUE = 'test-forwarded';
const RUNNER_QUEUES = [OBJECT_EVENTS_QUEUE, OBJECT_EVENTS_DEAD_LETTER_QUEUE, REGENERATIONS_QUEUE, REGENERATIONS_DEAD_LETTER_QUEUE, OBJECT_RECONCILE_QUEUE];

type Replica = { runner: FunctionRunner; boss: PgBoss; db: Database; close(): Promise<void> };

/**
 * One replica's runner as the service starts it: PGlite under dataDir, migrations, the job engine,
 * the runner, and its workers unless `workers: false`. `close` stops them in the service's order.
 */
async function openReplica(t: Test, options: Omit<FunctionRunnerOptions, 'boss' | 'db' | 'heartbeatSeconds'> & { workers?: boolean }): Promise<Replica> {
  const db = await openDatabase({ dataDir: options.dataDir });
  await migrate(db);
  const boss = await createJobEngine({ db, replicaId: `test-${process.pid}`, heartbeatSeconds: 10, logger: quiet });
  const runner = await createFunctionRunner({ ...options, boss, db, heartbeatSeconds: 10 });
  if (options.workers !== false) await runner.startWorkers();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await runner.stop();
      await boss.stop({ graceful: false, close: true, timeout: 5_000 });
      await db.close();
    })());
  t.teardown(close);
  return { runner, boss, db, close };
}

/** The runner's jobs that are waiting, backing off or running. */
async function pendingJobs(boss: PgBoss) {
  const jobs = (await Promise.all(RUNNER_QUEUES.map((queue) => boss.findJobs(queue, { limit: 100_000 })))).flat();
  return jobs.filter((job) => job.state === 'created' || job.state === 'retry' || job.state === 'active');
}

/** Resolves once every job of the runner's queues has ended (retries included). */
async function settled(boss: PgBoss) {
  await eventually(async () => (await pendingJobs(boss)).length === 0, 'the runner’s jobs to settle');
}

/** The service's route, reduced to a test: 200 once the delivery is a job, 503 when it could not be made one. */
async function runnerWebhook(t: Test) {
  let runner: FunctionRunner | undefined;
  let deliveries = 0;
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    try {
      await runner?.accept(JSON.parse(body || 'null'));
      response.statusCode = 200;
    } catch {
      response.statusCode = 503;
    }
    deliveries += 1;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/events?secret=s`,
    attach: (attached: FunctionRunner | undefined) => (runner = attached),
    deliveries: () => deliveries,
  };
}

async function register(dataDir: string, bucket: string, widths = [160]) {
  await registerFunction(dataDir, { name: `fn-${bucket}`, bucket, settings: { widths, format: 'jpeg', at: '10%' }, timeoutSeconds: 60, memoryMb: 512 });
  await registerTrigger(dataDir, {
    bucket,
    functionName: `fn-${bucket}`,
    events: ['s3:ObjectCreated:*'],
    filters: VIDEO_SUFFIXES.map((suffix) => ({ prefix: VIDEO_PREFIX, suffix })),
  });
}

async function exists(s3: S3Client, Bucket: string, Key: string): Promise<boolean> {
  return s3.send(new GetObjectCommand({ Bucket, Key })).then(
    () => true,
    () => false,
  );
}

/** A store whose webhook feeds a runner, as the service wires them; everything stops with the test. */
async function webhookDrivenRunner(t: Test, options: { concurrency?: number } = {}) {
  const hook = await runnerWebhook(t);
  const store = await startTestStore(t, hook.url);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const { logger, invocations } = recordingLogger();
  const replica = await openReplica(t, { dataDir: store.dataDir, connection: store.connection, logger, ...options });
  hook.attach(replica.runner);
  return { hook, store, s3, invocations, ...replica };
}

t.test('the whole local path: put → store event → job → runner → handler → thumbnail in the bucket', async (t) => {
  const { hook, store, s3, invocations, boss } = await webhookDrivenRunner(t);
  const bucket = 'tenant-alpha';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: 'no-trigger' }));
  await register(store.dataDir, bucket, [160, 320]);
  const dir = await tempDir(t);
  const video = await readFile(await makeVideo(dir, { name: 'clip.mp4' }));

  const id = newVideoId();
  const key = videoKey(id, 'my clip+1 ç.mp4');
  const before = hook.deliveries();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${VIDEO_PREFIX}${newVideoId()}/notes.txt`, Body: 'not a video suffix' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'uploads/elsewhere.mp4', Body: video }));
  await s3.send(new PutObjectCommand({ Bucket: 'no-trigger', Key: videoKey(newVideoId(), 'clip.mp4'), Body: video }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: video }));
  await eventually(() => hook.deliveries() >= before + 4, 'the store events');
  await settled(boss);

  t.ok(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')), 'w160 written');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: thumbnailKey(id, 320, 'jpeg') }));
  t.same(await imageInfo(Buffer.from(await object.Body!.transformToByteArray())), { codec: 'mjpeg', width: 320, height: 180 });
  const logged = invocations();
  t.equal(logged.length, 1, 'only the matching object invoked the function');
  t.match(logged[0]!.details, { function: `fn-${bucket}`, bucket, outcome: 'succeeded', records: ['thumbnails'], attempt: 1, key: 'videos/' + id + '/my+clip%2B1+%C3%A7.mp4' });
  t.type(logged[0]!.details.durationMs, 'number');
  t.notOk(await exists(s3, bucket, `thumbnails/${id}/error.json`));
});

t.test('a burst is queued as jobs, never dropped, and runs within the concurrency bound', async (t) => {
  const { hook, store, s3, invocations, boss } = await webhookDrivenRunner(t, { concurrency: 1 });
  const bucket = 'tenant-burst';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await register(store.dataDir, bucket);
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 }));
  const ids = Array.from({ length: 6 }, () => newVideoId());
  const before = hook.deliveries();
  await Promise.all(ids.map((id) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: videoKey(id, 'clip.mp4'), Body: video }))));
  await eventually(() => hook.deliveries() >= before + ids.length, 'the store events');
  await settled(boss);

  for (const id of ids) t.ok(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')), `thumbnail for ${id}`);
  const spans = invocations().map((entry) => ({ start: entry.at - (entry.details.durationMs as number), end: entry.at }));
  t.equal(spans.length, ids.length);
  const overlapping = spans.some((a, i) => spans.some((b, j) => i !== j && a.start < b.end - 5 && b.start < a.end - 5));
  t.notOk(overlapping, 'one at a time with concurrency 1');
});

t.test('an event accepted while no worker runs is processed once a worker starts, after a restart', async (t) => {
  const hook = await runnerWebhook(t);
  const store = await startTestStore(t, hook.url);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const bucket = 'tenant-durable';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await register(store.dataDir, bucket);
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 }));

  // A replica that takes deliveries but runs no worker (busy, or about to go down).
  const intake = recordingLogger();
  const first = await openReplica(t, { dataDir: store.dataDir, connection: store.connection, logger: intake.logger, workers: false });
  hook.attach(first.runner);
  const id = newVideoId();
  const before = hook.deliveries();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: videoKey(id, 'clip.mp4'), Body: video }));
  await eventually(() => hook.deliveries() >= before + 1, 'the store event');
  const waiting = await pendingJobs(first.boss);
  t.same(waiting.map((job) => [job.name, job.state, (job.data as { key: string }).key]), [[OBJECT_EVENTS_QUEUE, 'created', videoKey(id, 'clip.mp4')]], 'the event waits as a job');
  hook.attach(undefined);
  await first.close();
  t.equal(intake.invocations().length, 0, 'nothing ran before the restart');
  t.notOk(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')));

  // The next start, on the same database, with workers.
  const { logger, invocations } = recordingLogger();
  const second = await openReplica(t, { dataDir: store.dataDir, connection: store.connection, logger });
  await settled(second.boss);
  t.same(invocations().map((entry) => [entry.details.key, entry.details.outcome]), [[videoKey(id, 'clip.mp4'), 'succeeded']]);
  t.ok(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')), 'the thumbnail exists after the restart');
});

t.test('the reconcile finishes videos with missing widths, skips finished and failed ones, and runs once at a time', async (t) => {
  // This store's events go to a recorder, not the runner: as if they were posted while the service was down.
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const bucket = 'tenant-reconcile';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 }));
  const [missed, partial, failed, done] = [newVideoId(), newVideoId(), newVideoId(), newVideoId()];
  for (const id of [missed, partial, failed, done]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: videoKey(id, 'clip.mp4'), Body: video }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: thumbnailErrorKey(failed), Body: '{"reason":"earlier"}' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: thumbnailKey(partial, 160, 'jpeg'), Body: 'earlier' }));
  for (const width of [160, 320]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: thumbnailKey(done, width, 'jpeg'), Body: 'earlier' }));
  await register(store.dataDir, bucket, [160, 320]);
  await register(store.dataDir, 'tenant-gone');
  const { logger, invocations } = recordingLogger();
  const replica = await openReplica(t, { dataDir: store.dataDir, connection: store.connection, logger, workers: false });

  // Two replicas starting at once both ask; the exclusive queue keeps one.
  await replica.runner.requestReconcile('start');
  await replica.runner.requestReconcile('start');
  t.equal((await pendingJobs(replica.boss)).filter((job) => job.name === OBJECT_RECONCILE_QUEUE).length, 1, 'one reconcile job');

  await replica.runner.startWorkers();
  await settled(replica.boss);
  t.same(
    invocations().map((entry) => entry.details.key).sort(),
    [videoKey(missed, 'clip.mp4'), videoKey(partial, 'clip.mp4')].sort(),
    'only the videos whose widths are incomplete, a trigger whose bucket is gone ignored',
  );
  t.ok(invocations().every((entry) => entry.details.outcome === 'succeeded'));
  for (const id of [missed, partial]) {
    for (const width of [160, 320]) t.ok(await exists(s3, bucket, thumbnailKey(id, width, 'jpeg')), `w${width} of ${id === missed ? 'missed' : 'partial'}`);
  }
  t.notOk(await exists(s3, bucket, thumbnailKey(failed, 160, 'jpeg')), 'a recorded failure is not retried');
  const reconciles = await replica.boss.findJobs(OBJECT_RECONCILE_QUEUE);
  t.same(reconciles.map((job) => job.state), ['completed'], 'the reconcile ran once');
});

t.test('an event naming another bucket than its object’s is dead-lettered, then finished where the object is; one that fails where it is stays dead', async (t) => {
  // The store's own events are dropped: the runner hears only the misaddressed one, as versitygw sent it.
  const hook = await runnerWebhook(t);
  const store = await startTestStore(t, hook.url);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const [home, named] = ['tenant-home', 'tenant-named'];
  for (const bucket of [home, named]) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await register(store.dataDir, bucket);
  }
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 }));
  const [misaddressed, failing] = [newVideoId(), newVideoId()];
  for (const id of [misaddressed, failing]) await s3.send(new PutObjectCommand({ Bucket: home, Key: videoKey(id, 'clip.mp4'), Body: video }));
  const gaveUp: string[] = [];
  const { logger, invocations, entries } = recordingLogger();
  const { runner, boss } = await openReplica(t, {
    dataDir: store.dataDir,
    connection: store.connection,
    logger,
    retry: { retryLimit: 1, retryDelaySeconds: 1 },
    deadLettered: async (event) => void gaveUp.push(`${event.bucket} ${event.key}`),
    // The real thumbnailer, except for one video whose every attempt fails as a transient error would.
    handlerFor: (fn, client) => {
      const real = createThumbnailHandler({ s3: client, settings: fn.settings });
      return async (event, context) => {
        if (event.Records[0]!.s3.object.key.includes(failing)) throw new Error('a failure a retry might fix');
        return real(event, context);
      };
    },
  });
  const event = (bucket: string, id: string) => ({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: videoKey(id, 'clip.mp4'), size: video.length } } }] });
  const failingKey = `${home} ${videoKey(failing, 'clip.mp4')}`;

  await runner.accept(event(home, failing));
  await settled(boss);
  t.same(gaveUp, [failingKey], 'a video that fails where it is: dead-lettered');
  t.same(await boss.findJobs(OBJECT_RECONCILE_QUEUE), [], 'and no reconcile asked for (its object is in its bucket)');

  await runner.accept(event(named, misaddressed));
  await settled(boss);
  t.same(gaveUp.slice(1, 2), [`${named} ${videoKey(misaddressed, 'clip.mp4')}`], 'the misaddressed event: dead-lettered');
  const reconciles = await boss.findJobs(OBJECT_RECONCILE_QUEUE);
  t.same(reconciles.map((job) => [job.state, (job.data as { reason: string }).reason]), [['completed', 'a dead-lettered event named a bucket without its object']], 'then one reconcile, asked for by it');
  t.ok(await exists(s3, home, thumbnailKey(misaddressed, 160, 'jpeg')), 'which finished the video in its own bucket');
  t.notOk(await exists(s3, named, thumbnailKey(misaddressed, 160, 'jpeg')), 'nothing written in the bucket the event named');
  // The reconcile also sent the failing video again (its outputs are incomplete): one more round, dead again, and no further reconcile.
  t.same(gaveUp.slice(2), [failingKey], 'the failing video went round once more');
  t.same(invocations().filter((entry) => String(entry.details.key).includes(failing)).map((entry) => entry.details.outcome), ['failed', 'failed', 'failed', 'failed'], 'two attempts a round');
  t.ok(entries.some((entry) => entry.message === 'reconcile done'));
});

t.test('a job whose handler fails transiently is retried, and completes on the retry', async (t) => {
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const bucket = 'tenant-retry';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await register(store.dataDir, bucket);
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 }));
  const id = newVideoId();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: videoKey(id, 'clip.mp4'), Body: video }));

  let calls = 0;
  const { logger, invocations } = recordingLogger();
  const reported: string[] = [];
  const { runner, boss } = await openReplica(t, {
    dataDir: store.dataDir,
    connection: store.connection,
    logger,
    metrics: { invocationFinished: ({ outcome }) => reported.push(outcome) },
    retry: { retryDelaySeconds: 1 },
    // The real thumbnailer, behind a first attempt that fails as an unreachable store would.
    handlerFor: (fn, client) => {
      const real = createThumbnailHandler({ s3: client, settings: fn.settings });
      return async (event, context) => {
        calls += 1;
        if (calls === 1) throw new Error('connect ECONNREFUSED (the store is restarting)');
        return real(event, context);
      };
    },
  });
  await runner.accept({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: videoKey(id, 'clip.mp4'), size: video.length } } }] });
  await settled(boss);

  t.same(
    invocations().map((entry) => [entry.details.attempt, entry.details.outcome]),
    [
      [1, 'failed'],
      [2, 'succeeded'],
    ],
  );
  t.same(reported, ['error', 'thumbnails'], 'each invocation reported to the metrics');
  t.ok(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')), 'written by the retry');
  const [job] = await boss.findJobs(OBJECT_EVENTS_QUEUE);
  t.match(job, { state: 'completed', retryCount: 1 });
});

t.test('invocations: AWS event shape, timeout, failures to the dead letter (and its hook), odd deliveries, forwarding, an unsent event refused', async (t) => {
  const dataDir = await tempDir(t);
  const bucket = 'tenant-fake';
  await register(dataDir, bucket);
  const { logger, entries, invocations } = recordingLogger();
  const events: S3Event[] = [];
  const reported: Array<{ outcome: string; seconds: number }> = [];
  const gaveUp: Array<{ key: string; reason: string }> = [];
  const forwarded: string[] = [];
  let forwardFails = false;
  const { runner, boss, db } = await openReplica(t, {
    dataDir,
    deadLettered: async (event, reason) => void gaveUp.push({ key: event.key, reason }),
    // Sends a job of its own in the delivery's transaction, as the catalog does.
    forward: async (events, tx) => {
      for (const event of events) await boss.send(FORWARD_QUEUE, { key: event.key }, { db: asJobDb(tx) });
      if (forwardFails) throw new Error('the forward failed');
      forwarded.push(...events.map((event) => `${event.eventName} ${event.key}`));
    },
    // Never reached: the handler below stands in for the thumbnailer.
    connection: { region: LOCAL_REGION, endpoint: 'http://127.0.0.1:9' },
    logger,
    metrics: { invocationFinished: (invocation) => reported.push(invocation) },
    timeoutMs: 300,
    retry: { retryLimit: 1, retryDelaySeconds: 1 },
    handlerFor: () => async (event) => {
      events.push(event);
      const key = event.Records[0]!.s3.object.key;
      if (key.includes('hang')) return new Promise(() => {});
      if (key.includes('boom')) throw new Error('boom');
      return { records: [] };
    },
  });
  await boss.createQueue(FORWARD_QUEUE);
  const delivery = (key: string) => ({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, size: 7, eTag: '"abc"' } } }] });

  await runner.accept({ Event: 's3:TestEvent', Bucket: bucket });
  await runner.accept('not json at all');
  // As versitygw reports a removal: size 0 and no eTag.
  await runner.accept({ Records: [{ eventName: 's3:ObjectRemoved:Delete', s3: { bucket: { name: bucket }, object: { key: 'videos/x/a.mp4', size: 0, eTag: null } } }] });
  const hang = `videos/${newVideoId()}/hang.mp4`;
  const boom = `videos/${newVideoId()}/boom.mp4`;
  await runner.accept(delivery(hang));
  await runner.accept(delivery(boom));
  const id = newVideoId();
  await runner.accept(delivery(`videos/${id}/a b+ç.mp4`));
  await settled(boss);

  t.same(invocations().map((entry) => entry.details.outcome).sort(), ['failed', 'failed', 'succeeded', 'timed-out', 'timed-out'], 'each failure tried twice (retryLimit 1)');
  const timedOut = invocations().find((entry) => entry.details.outcome === 'timed-out')!;
  t.ok((timedOut.details.durationMs as number) >= 290, 'ended by the timeout');
  t.same(reported.map((invocation) => invocation.outcome).sort(), ['error', 'error', 'skipped', 'timed-out', 'timed-out'], 'each invocation reported to the metrics');
  t.ok(reported.filter((invocation) => invocation.outcome === 'timed-out').every((invocation) => invocation.seconds >= 0.29), 'with its duration');
  const record = events.find((event) => event.Records[0]!.s3.object.key.includes(id))!.Records[0]!;
  t.equal(record.eventName, 'ObjectCreated:Put', 'AWS names the event without the s3: prefix');
  t.equal(record.eventSource, 'aws:s3');
  t.equal(record.s3.object.key, `videos/${id}/a+b%2B%C3%A7.mp4`, 'the key is URL-encoded as AWS does');
  t.equal(record.s3.object.size, 7);
  t.equal(record.s3.bucket.arn, `arn:aws:s3:::${bucket}`);
  t.ok(entries.some((entry) => entry.message === 'object store event not understood'), 'a body it cannot read is logged');
  t.equal(events.length, 5, 'the test event and the delete event invoke nothing');
  const dead = entries.filter((entry) => entry.message?.startsWith('object event dead-lettered'));
  t.same(dead.map((entry) => entry.details.key).sort(), [boom, hang].sort(), 'spent retries reach the dead letter');
  t.same((await boss.findJobs(OBJECT_EVENTS_QUEUE)).map((job) => job.state).sort(), ['completed', 'completed', 'failed', 'failed']);
  t.same(gaveUp.map((entry) => entry.key).sort(), [boom, hang].sort(), 'the dead-letter hook hears of each');
  t.match(gaveUp.find((entry) => entry.key === boom)?.reason, /^the thumbnailer gave up after 2 attempts: boom$/, 'with the last failure');
  t.match(gaveUp.find((entry) => entry.key === hang)?.reason, /^the thumbnailer gave up after 2 attempts: timed out after 300 ms$/);
  t.same(forwarded, ['s3:ObjectRemoved:Delete videos/x/a.mp4', `s3:ObjectCreated:Put ${hang}`, `s3:ObjectCreated:Put ${boom}`, `s3:ObjectCreated:Put videos/${id}/a b+ç.mp4`], 'every record is forwarded');

  // A forward that fails takes the delivery's jobs with it: the store is not acked, nothing is half-queued.
  forwardFails = true;
  const unacked = `videos/${newVideoId()}/unacked.mp4`;
  await t.rejects(runner.accept(delivery(unacked)), 'a delivery whose forward failed is refused');
  t.notOk((await boss.findJobs(OBJECT_EVENTS_QUEUE)).some((job) => (job.data as { key: string }).key === unacked), 'and its thumbnailer job was not sent');
  t.notOk((await boss.findJobs(FORWARD_QUEUE)).some((job) => (job.data as { key: string }).key === unacked), 'nor the forward’s own');
  forwardFails = false;

  // With the database gone, a delivery cannot become a job: accept rejects, so the route answers 503.
  await boss.stop({ graceful: false, timeout: 5_000 });
  await db.close();
  await t.rejects(runner.accept(delivery(`videos/${newVideoId()}/late.mp4`)), 'an event that is not durable is refused');
});

t.test('a regeneration: a job sent in the caller\'s transaction, the named function invoked with the stored video and the regeneration, its dead letter reported with it', async (t) => {
  const dataDir = await tempDir(t);
  const bucket = 'tenant-regen';
  await register(dataDir, bucket);
  const events: ThumbnailEvent[] = [];
  const gaveUp: Array<{ key: string; regeneration: string | null; reason: string }> = [];
  const { runner, boss, db } = await openReplica(t, {
    dataDir,
    deadLettered: async (run, reason) => void gaveUp.push({ key: run.key, regeneration: run.regeneration, reason }),
    // Never reached: the handler below stands in for the thumbnailer.
    connection: { region: LOCAL_REGION, endpoint: 'http://127.0.0.1:9' },
    retry: { retryLimit: 1, retryDelaySeconds: 1 },
    handlerFor: (fn) => async (event) => {
      events.push({ ...event, function: fn.name } as ThumbnailEvent);
      if (event.Records[0]!.s3.object.key.includes('boom')) throw new Error('boom');
      return { records: [] };
    },
  });
  const id = newVideoId();
  const key = videoKey(id, 'a b+ç.mp4');
  const regeneration = { id: newRegenerationId(), at: 1.5 };
  await db.transaction((tx) => runner.regenerate({ functionName: `fn-${bucket}`, bucket, key, size: 42, regeneration }, tx));
  const rolledBack = videoKey(newVideoId(), 'never.mp4');
  await t.rejects(
    db.transaction(async (tx) => {
      await runner.regenerate({ functionName: `fn-${bucket}`, bucket, key: rolledBack, regeneration: { id: newRegenerationId() } }, tx);
      throw new Error('the catalog refused');
    }),
  );
  const boom = videoKey(newVideoId(), 'boom.mp4');
  const failing = { id: newRegenerationId() };
  await db.transaction((tx) => runner.regenerate({ functionName: `fn-${bucket}`, bucket, key: boom, regeneration: failing }, tx));
  await db.transaction((tx) => runner.regenerate({ functionName: 'fn-gone', bucket, key: videoKey(newVideoId(), 'orphan.mp4'), regeneration: { id: newRegenerationId() } }, tx));
  await settled(boss);

  const delivered = events.find((event) => event.regeneration?.id === regeneration.id)!;
  t.same(delivered.regeneration, regeneration, 'the regeneration beside the records');
  t.equal((delivered as { function?: string }).function, `fn-${bucket}`, 'the named function ran it');
  t.equal(delivered.Records.length, 1);
  t.match(delivered.Records[0], { eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: `videos/${id}/a+b%2B%C3%A7.mp4`, size: 42 } } }, 'the S3 record of the stored video');
  t.notOk(events.some((event) => event.Records[0]!.s3.object.key.includes('never')), 'a rolled-back transaction sent no job');
  t.same(events.filter((event) => event.regeneration?.id === failing.id).length, 2, 'a failing one is retried (retryLimit 1)');
  t.same(gaveUp, [{ key: boom, regeneration: failing.id, reason: 'the thumbnailer gave up after 2 attempts: boom' }], 'then its dead letter is reported with its regeneration');
  t.equal(events.length, 3, 'a function that is not registered runs nothing');
  t.same((await boss.findJobs(REGENERATIONS_QUEUE)).map((job) => job.state).sort(), ['completed', 'completed', 'failed']);
});
