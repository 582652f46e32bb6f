// The local function runner with the real object store, real registrations and real ffmpeg:
// store event → trigger filters → AWS-shaped event → handler → thumbnails, plus queueing, timeouts and the sweep.
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createFunctionRunner, type FunctionRunner, type FunctionRunnerOptions } from '../../src/local/function-runner.js';
import { registerFunction, registerTrigger } from '../../src/domain/local-registrations.js';
import { newVideoId, thumbnailErrorKey, thumbnailKey, VIDEO_PREFIX, VIDEO_SUFFIXES, videoKey } from '../../src/domain/video-layout.js';
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

/** The service's part, reduced to a test: an HTTP receiver that hands each delivery to the runner. */
async function runnerWebhook(t: Test) {
  let runner: FunctionRunner | undefined;
  let deliveries = 0;
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    runner?.accept(JSON.parse(body || 'null'));
    deliveries += 1;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/events?secret=s`,
    attach: (attached: FunctionRunner) => (runner = attached),
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

async function startRunner(t: Test, options: FunctionRunnerOptions) {
  const runner = createFunctionRunner(options);
  t.teardown(() => runner.close());
  return runner;
}

/** A store whose webhook feeds a runner, as the service wires them; everything stops with the test. */
async function webhookDrivenRunner(t: Test, options: { concurrency?: number } = {}) {
  const hook = await runnerWebhook(t);
  const store = await startTestStore(t, hook.url);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const { logger, invocations } = recordingLogger();
  const runner = await startRunner(t, { dataDir: store.dataDir, connection: store.connection, logger, ...options });
  hook.attach(runner);
  return { hook, store, s3, invocations, runner };
}

t.test('the whole local path: put → store event → runner → handler → thumbnail in the bucket', async (t) => {
  const { hook, store, s3, invocations, runner } = await webhookDrivenRunner(t);
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
  await eventually(() => hook.deliveries() >= before + 4, 'the store events', 20_000);
  await runner.idle();

  t.ok(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')), 'w160 written');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: thumbnailKey(id, 320, 'jpeg') }));
  t.same(await imageInfo(Buffer.from(await object.Body!.transformToByteArray())), { codec: 'mjpeg', width: 320, height: 180 });
  const logged = invocations();
  t.equal(logged.length, 1, 'only the matching object invoked the function');
  t.match(logged[0]!.details, { function: `fn-${bucket}`, bucket, outcome: 'succeeded', records: ['thumbnails'], key: 'videos/' + id + '/my+clip%2B1+%C3%A7.mp4' });
  t.type(logged[0]!.details.durationMs, 'number');
  t.notOk(await exists(s3, bucket, `thumbnails/${id}/error.json`));
});

t.test('a burst is queued, never dropped, and runs within the concurrency bound', async (t) => {
  const { hook, store, s3, invocations, runner } = await webhookDrivenRunner(t, { concurrency: 1 });
  const bucket = 'tenant-burst';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await register(store.dataDir, bucket);
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 }));
  const ids = Array.from({ length: 6 }, () => newVideoId());
  const before = hook.deliveries();
  await Promise.all(ids.map((id) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: videoKey(id, 'clip.mp4'), Body: video }))));
  await eventually(() => hook.deliveries() >= before + ids.length, 'the store events', 20_000);
  await runner.idle();

  for (const id of ids) t.ok(await exists(s3, bucket, thumbnailKey(id, 160, 'jpeg')), `thumbnail for ${id}`);
  const spans = invocations().map((entry) => ({ start: entry.at - (entry.details.durationMs as number), end: entry.at }));
  t.equal(spans.length, ids.length);
  const overlapping = spans.some((a, i) => spans.some((b, j) => i !== j && a.start < b.end - 5 && b.start < a.end - 5));
  t.notOk(overlapping, 'one at a time with concurrency 1');
});

t.test('the sweep processes videos with neither thumbnails nor error.json, and only those', async (t) => {
  // This store's events go to a recorder, not the runner: as if they were posted while the service was down.
  const store = await startTestStore(t);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const bucket = 'tenant-sweep';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const video = await readFile(await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 1 }));
  const [missed, failed, done] = [newVideoId(), newVideoId(), newVideoId()];
  for (const id of [missed, failed, done]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: videoKey(id, 'clip.mp4'), Body: video }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: thumbnailErrorKey(failed), Body: '{"reason":"earlier"}' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: thumbnailKey(done, 160, 'jpeg'), Body: 'earlier' }));
  await register(store.dataDir, bucket);
  const { logger, invocations } = recordingLogger();
  const runner = await startRunner(t, { dataDir: store.dataDir, connection: store.connection, logger });

  await runner.sweep();
  await runner.idle();
  t.same(
    invocations().map((entry) => entry.details.key),
    [videoKey(missed, 'clip.mp4')],
    'only the video nothing was written for',
  );
  t.ok(await exists(s3, bucket, thumbnailKey(missed, 160, 'jpeg')));
  t.notOk(await exists(s3, bucket, thumbnailKey(failed, 160, 'jpeg')), 'a recorded failure is not retried');
});

t.test('invocations: AWS event shape, timeout, failures and odd deliveries', async (t) => {
  const dataDir = await tempDir(t);
  const bucket = 'tenant-fake';
  await register(dataDir, bucket);
  const { logger, entries, invocations } = recordingLogger();
  const events: S3Event[] = [];
  const runner = await startRunner(t, {
    dataDir,
    // Never reached: the handler below stands in for the thumbnailer.
    connection: { region: LOCAL_REGION, endpoint: 'http://127.0.0.1:9' },
    logger,
    timeoutMs: 300,
    handlerFor: () => async (event) => {
      events.push(event);
      const key = event.Records[0]!.s3.object.key;
      if (key.includes('hang')) return new Promise(() => {});
      if (key.includes('boom')) throw new Error('boom');
      return { records: [] };
    },
  });
  const delivery = (key: string) => ({ Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, size: 7, eTag: '"abc"' } } }] });

  runner.accept({ Event: 's3:TestEvent', Bucket: bucket });
  runner.accept('not json at all');
  runner.accept({ Records: [{ eventName: 's3:ObjectRemoved:Delete', s3: { bucket: { name: bucket }, object: { key: 'videos/x/a.mp4' } } }] });
  runner.accept(delivery(`videos/${newVideoId()}/hang.mp4`));
  runner.accept(delivery(`videos/${newVideoId()}/boom.mp4`));
  const id = newVideoId();
  runner.accept(delivery(`videos/${id}/a b+ç.mp4`));
  await runner.idle();

  t.same(invocations().map((entry) => entry.details.outcome).sort(), ['failed', 'succeeded', 'timed-out']);
  const timedOut = invocations().find((entry) => entry.details.outcome === 'timed-out')!;
  t.ok((timedOut.details.durationMs as number) >= 290, 'ended by the timeout');
  const record = events.find((event) => event.Records[0]!.s3.object.key.includes(id))!.Records[0]!;
  t.equal(record.eventName, 'ObjectCreated:Put', 'AWS names the event without the s3: prefix');
  t.equal(record.eventSource, 'aws:s3');
  t.equal(record.s3.object.key, `videos/${id}/a+b%2B%C3%A7.mp4`, 'the key is URL-encoded as AWS does');
  t.equal(record.s3.object.size, 7);
  t.equal(record.s3.bucket.arn, `arn:aws:s3:::${bucket}`);
  t.ok(entries.some((entry) => entry.message === 'object store event not understood'), 'a body it cannot read is logged');
  t.equal(events.length, 3, 'the test event and the delete event invoke nothing');
});
