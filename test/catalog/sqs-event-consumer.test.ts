// The aws target's two queue consumers with the real SQS client against a fake SQS on loopback
// (AWS itself is the only thing stood in for: the fake speaks SQS's JSON protocol, holds a long poll
// until it has messages, and records deletes). A message is deleted only once delivered; one that is
// not of its queue's kind is deleted unread; a failed delivery leaves its message; a failed receive
// is retried; stop ends a poll in flight. The failures queue's records reach the real catalog on
// PGlite: the video waiting for the run that failed for good shows failed, with the reason.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { pino } from 'pino';
import { changeOfMessage, startCatalogEventsConsumer, startThumbnailerFailuresConsumer } from '../../src/catalog/sqs-event-consumer.js';
import { gaveUpOfMessage } from '../../src/catalog/thumbnailer-failure-record.js';
import type { ObjectChange } from '../../src/catalog/catalog-queue.js';
import { newRegenerationId, type RegenerationRun } from '../../src/domain/thumbnail-regeneration.js';
import { newVideoId, thumbnailKey, videoKey } from '../../src/domain/video-layout.js';
import type { WebhookEvent, WebhookEventSink } from '../../src/domain/webhook-events.js';
import { freePort } from '../../src/local/free-port.js';
import { s3EventRecord } from '../../src/local/s3-event-record.js';
import { lambdaRegenerations } from '../../src/server/videos/regeneration-runs.js';
import { openTestCatalog } from '../helpers/catalog.js';
import { eventually } from '../helpers/stacks.js';

type Held = { response: ServerResponse; max: number };

/** A fake SQS queue: `push` adds messages, receives wait for them, deletes are recorded. */
async function fakeSqs(t: Test) {
  const queued: Array<{ id: string; handle: string; body: string }> = [];
  const deleted: string[] = [];
  const held: Held[] = [];
  let failNextReceives = 0;
  let failedReceives = 0;
  let receives = 0;
  /** The receive count when each message was handed out. */
  const handedOutAt = new Map<string, number>();
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const answer = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
  };
  const serve = () => {
    while (held.length > 0 && queued.length > 0) {
      const { response, max } = held.shift()!;
      const batch = queued.splice(0, max);
      for (const message of batch) handedOutAt.set(message.handle, receives);
      answer(response, 200, { Messages: batch.map((message) => ({ MessageId: message.id, ReceiptHandle: message.handle, MD5OfBody: md5(message.body), Body: message.body })) });
    }
  };
  const server = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const body = JSON.parse(text || '{}');
    const action = String(request.headers['x-amz-target']).replace('AmazonSQS.', '');
    if (action === 'ReceiveMessage') {
      receives += 1;
      if (failNextReceives > 0) {
        failNextReceives -= 1;
        failedReceives += 1;
        return answer(response, 500, { __type: 'com.amazonaws.sqs#InternalError', message: 'try again' });
      }
      held.push({ response, max: body.MaxNumberOfMessages ?? 1 });
      response.once('close', () => {
        const index = held.findIndex((entry) => entry.response === response);
        if (index >= 0) held.splice(index, 1);
      });
      return serve();
    }
    if (action === 'DeleteMessageBatch') {
      const entries = body.Entries as Array<{ Id: string; ReceiptHandle: string }>;
      deleted.push(...entries.map((entry) => entry.ReceiptHandle));
      return answer(response, 200, { Successful: entries.map((entry) => ({ Id: entry.Id })), Failed: [] });
    }
    answer(response, 400, { __type: 'com.amazonaws.sqs#InvalidAction', message: action });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  let n = 0;
  return {
    endpoint,
    queueUrl: `${endpoint}/123456789012/thumbforge-catalog-events`,
    deleted,
    held: () => held.length,
    failedReceives: () => failedReceives,
    /** Receives begun after the message was handed out (one means the batch it came in was handled). */
    receivesSince: (handle: string) => (handedOutAt.has(handle) ? receives - handedOutAt.get(handle)! : 0),
    failReceives: (count: number) => (failNextReceives = count),
    push(body: string): string {
      n += 1;
      const handle = `handle-${n}`;
      queued.push({ id: `message-${n}`, handle, body });
      serve();
      return handle;
    },
  };
}

const s3Event = (detailType: string, key: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: '0',
    id: 'e1',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-03-01T10:00:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:s3:::acme-123456789012-eu-west-1'],
    detail: { version: '0', bucket: { name: 'acme-123456789012-eu-west-1' }, object: { key, ...extra }, reason: 'PutObject' },
  });

t.test('what a queue message means to the catalog', async (t) => {
  t.same(changeOfMessage(s3Event('Object Created', 'videos/01J/a b.mp4', { size: 12, etag: 'x' })), {
    change: 'created',
    bucket: 'acme-123456789012-eu-west-1',
    key: 'videos/01J/a b.mp4',
    size: 12,
    at: '2026-03-01T10:00:00.000Z',
  }, 'an EventBridge S3 event: its key as is (EventBridge does not URL-encode it)');
  t.match(changeOfMessage(s3Event('Object Deleted', 'thumbnails/01J/w96.jpg')), { change: 'removed', key: 'thumbnails/01J/w96.jpg' });
  t.notOk('size' in changeOfMessage(s3Event('Object Deleted', 'thumbnails/01J/w96.jpg'))!, 'a deletion has no size');
  for (const [what, body] of [
    ['not JSON', 'hello'],
    ['another detail type', s3Event('Object Restore Completed', 'videos/01J/a.mp4')],
    ['another source', s3Event('Object Created', 'videos/01J/a.mp4').replace('"aws.s3"', '"aws.ec2"')],
    ['an S3 notification test event', JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' })],
    ['no body', undefined],
  ] as const) {
    t.equal(changeOfMessage(body), undefined, what);
  }
});

t.test('the consumer: delete after delivery, malformed deleted unread, failed delivery kept, failed receive retried, stop ends a poll', async (t) => {
  const sqs = await fakeSqs(t);
  const client = new SQSClient({ region: 'eu-west-1', endpoint: sqs.endpoint, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  t.teardown(() => client.destroy());
  const delivered: ObjectChange[] = [];
  let refuse = false;
  const consumer = startCatalogEventsConsumer({
    sqs: client,
    queueUrl: sqs.queueUrl,
    logger: pino({ level: 'silent' }),
    catalog: {
      enqueue: async (changes) => {
        if (refuse) throw new Error('the database is away');
        delivered.push(...changes);
      },
    },
  });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : consumer.stop()));

  const good = sqs.push(s3Event('Object Created', 'videos/01J/clip.mp4', { size: 5 }));
  const malformed = sqs.push('{"not":"an event"}');
  await eventually(() => sqs.deleted.length === 2 || undefined, 'both messages deleted');
  t.same(sqs.deleted.sort(), [good, malformed].sort(), 'the delivered one and the malformed one are deleted');
  t.same(delivered.map((change) => change.key), ['videos/01J/clip.mp4'], 'only the event is delivered');

  refuse = true;
  const kept = sqs.push(s3Event('Object Deleted', 'videos/01J/clip.mp4'));
  await eventually(() => sqs.receivesSince(kept) > 0 || undefined, 'the consumer to move on past that batch');
  t.notOk(sqs.deleted.includes(kept), 'a message whose delivery failed stays in the queue');
  refuse = false;

  // The receive after the next batch fails; the one after it (a pause later) gets the message after.
  sqs.failReceives(1);
  const before = sqs.push(s3Event('Object Created', 'thumbnails/01J/w96.jpg', { size: 9 }));
  await eventually(() => (sqs.deleted.includes(before) && sqs.failedReceives() === 1) || undefined, 'a batch, then a failed receive');
  const after = sqs.push(s3Event('Object Created', 'thumbnails/01J/meta.json', { size: 9 }));
  await eventually(() => sqs.deleted.includes(after) || undefined, 'a message after the failed receive');
  t.match(delivered.at(-1), { key: 'thumbnails/01J/meta.json', change: 'created' }, 'receives go on after a failed one');

  await eventually(() => sqs.held() === 1 || undefined, 'a long poll in flight');
  await consumer.stop();
  stopped = true;
  t.pass('stop ends the poll in flight');
  await eventually(() => sqs.held() === 0 || undefined, 'the fake to see the poll go');
  t.pass('the poll was aborted, not left hanging');
});

const BUCKET = 'acme-123456789012-eu-west-1';
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:thumbforge-acme:$LATEST';
const LAST_ERROR = '1 record(s) failed: videos/01J/clip.mp4: connect ETIMEDOUT';

/** The S3 event notification a video's upload invokes the function with (its key URL-encoded, as S3 does). */
const uploadPayload = (key: string) => ({ Records: [s3EventRecord({ bucket: BUCKET, key, size: 100 }, 's3:ObjectCreated:Put', 'eu-west-1', 'S3')] });

/** What the service invokes the function with to regenerate a video: captured from the real invoke. */
async function regenerationPayload(run: RegenerationRun): Promise<unknown> {
  let payload: unknown;
  const lambda = {
    send: async (command: InvokeCommand) => {
      payload = JSON.parse(Buffer.from(command.input.Payload as Uint8Array).toString('utf8'));
      return { StatusCode: 202 };
    },
  } as unknown as Pick<LambdaClient, 'send'>;
  await lambdaRegenerations(lambda, 'eu-west-1')(run, { query: async () => [] });
  return payload;
}

/**
 * Lambda's record of an asynchronous invocation that failed for good, as its failure destination
 * gets it: by default after 3 attempts, the last one's error in the response (`response: undefined`, none).
 */
const invocationRecord = (payload: unknown, context: { condition?: string; attempts?: number; response?: unknown } = {}) =>
  JSON.stringify({
    version: '1.0',
    timestamp: '2026-03-01T10:00:00.000Z',
    requestContext: { requestId: 'e4b46cbf-b738-4d22-8880-a18cdf61200e', functionArn: FUNCTION_ARN, condition: context.condition ?? 'RetriesExhausted', approximateInvokeCount: context.attempts ?? 3 },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    // JSON leaves an undefined response out.
    responsePayload: 'response' in context ? context.response : { errorMessage: LAST_ERROR, errorType: 'Error' },
  });

t.test('what a failure destination record means to the catalog', async (t) => {
  const id = newVideoId();
  const key = videoKey(id, 'my clip+1.mp4');
  t.same(gaveUpOfMessage(invocationRecord(uploadPayload(key))), [
    { bucket: BUCKET, videoKey: key, reason: `the thumbnailer gave up after 3 attempts (RetriesExhausted): ${LAST_ERROR}`, regeneration: null },
  ], "an upload's run: its key decoded (S3 encodes a space as + and + as %2B), the attempts, the condition and the last error");
  const regeneration = { id: newRegenerationId(), at: 4 };
  t.same(gaveUpOfMessage(invocationRecord(await regenerationPayload({ functionName: 'thumbforge-acme', bucket: BUCKET, key, size: 100, regeneration }))), [
    { bucket: BUCKET, videoKey: key, reason: `the thumbnailer gave up after 3 attempts (RetriesExhausted): ${LAST_ERROR}`, regeneration: regeneration.id },
  ], "a regeneration's run: the payload the service invokes with, its id carried");
  t.same(gaveUpOfMessage(invocationRecord(uploadPayload(key), { condition: 'EventAgeExceeded', attempts: 1, response: undefined })), [
    { bucket: BUCKET, videoKey: key, reason: 'the thumbnailer gave up after 1 attempt (EventAgeExceeded)', regeneration: null },
  ], 'an event that grew too old, with no error to tell');
  t.match(gaveUpOfMessage(invocationRecord(uploadPayload(key), { response: 'not an error object' })), [{ reason: 'the thumbnailer gave up after 3 attempts (RetriesExhausted)' }], 'a response that is no error object adds nothing');

  const foreign: Array<[string, string | undefined]> = [
    ['not JSON', 'hello'],
    ['no body', undefined],
    ['an S3 event as EventBridge sends it (the events queue\'s kind, never this one\'s)', s3Event('Object Deleted', key)],
    ['a record of a success', invocationRecord(uploadPayload(key), { condition: 'Success', attempts: 1, response: null })],
    ['a payload without S3 records', invocationRecord({ ORDER_IDS: ['9e07af03'] })],
    ['an output key', invocationRecord(uploadPayload(thumbnailKey(id, 96, 'jpeg')))],
    ['a key under videos/ that is no video\'s', invocationRecord(uploadPayload('videos/not-an-id/clip.mp4'))],
    ['a key S3 could not have encoded', invocationRecord({ Records: [{ s3: { bucket: { name: BUCKET }, object: { key: `videos/${id}/%E0%A4%A.mp4` } } }] })],
    ['a regeneration the service never sends', invocationRecord({ ...uploadPayload(key), regeneration: { id: 'nope' } })],
    ['no request context', JSON.stringify({ requestPayload: uploadPayload(key), responsePayload: { errorMessage: 'x' } })],
  ];
  for (const [what, body] of foreign) t.equal(gaveUpOfMessage(body), undefined, what);
});

t.test('the failures queue: each record fails the video waiting for that run, through the catalog; anything else is deleted unread; a failed hand-over keeps its message', async (t) => {
  const sqs = await fakeSqs(t);
  const client = new SQSClient({ region: 'eu-west-1', endpoint: sqs.endpoint, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  t.teardown(() => client.destroy());
  const announced: WebhookEvent[] = [];
  let refusals = 0;
  const webhooks: WebhookEventSink = {
    publish: async (event) => {
      if (refusals > 0) {
        refusals -= 1;
        throw new Error('the webhooks could not take the event');
      }
      announced.push(event);
    },
  };
  // The catalog never needs the store here: every video is recorded, as POST /videos records it.
  const deadStore = { endpoint: `http://127.0.0.1:${await freePort()}`, region: 'eu-west-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } };
  const { catalog, db, tenant } = await openTestCatalog(t, deadStore, { bucket: BUCKET, webhooks });
  const logged: Array<{ level: number; msg: string; messageId?: string }> = [];
  const consumer = startThumbnailerFailuresConsumer({
    sqs: client,
    queueUrl: `${sqs.endpoint}/123456789012/thumbforge-catalog-events-failures`,
    catalog,
    logger: pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
  });
  t.teardown(() => consumer.stop());

  const pendingVideo = async (name: string) => {
    const id = newVideoId();
    await catalog.recordUpload({ tenantId: tenant.id, id, name, key: videoKey(id, name), size: 100, contentType: 'video/mp4', createdAt: new Date().toISOString() });
    return { id, key: videoKey(id, name) };
  };
  const rows = () => db.query('SELECT * FROM videos ORDER BY id');
  const announcedFor = (id: string) => announced.filter((event) => event.data.id === id).map((event) => event.type);
  const reason = `the thumbnailer gave up after 3 attempts (RetriesExhausted): ${LAST_ERROR}`;

  t.test("an upload's run: the pending video shows failed with the reason, announced, and the message is deleted", async (t) => {
    const video = await pendingVideo('my clip.mp4');
    const handle = sqs.push(invocationRecord(uploadPayload(video.key)));
    await eventually(() => sqs.deleted.includes(handle) || undefined, 'the record deleted');
    const failed = await catalog.video(tenant.id, video.id);
    t.equal(failed.status, 'failed');
    t.equal(failed.error, reason, 'the attempts, the condition and the last error');
    t.same(announcedFor(video.id), ['video.failed']);
  });

  t.test("a regeneration's run: only the record carrying its id fails the video", async (t) => {
    const video = await pendingVideo('again.mp4');
    const upload = sqs.push(invocationRecord(uploadPayload(video.key)));
    await eventually(() => sqs.deleted.includes(upload) || undefined, "the upload run's record deleted");
    const regeneration = { id: newRegenerationId() };
    const payload = await regenerationPayload({ functionName: 'thumbforge-acme', bucket: BUCKET, key: video.key, size: 100, regeneration });
    t.equal((await catalog.regenerate(tenant.id, video.id, regeneration.id, async () => undefined)).status, 'pending', 'regenerated: pending under its id');

    const late = sqs.push(invocationRecord(uploadPayload(video.key)));
    await eventually(() => sqs.deleted.includes(late) || undefined, "a late copy of the upload run's record deleted");
    t.match(await catalog.video(tenant.id, video.id), { status: 'pending' }, 'the upload run giving up again changes nothing: the video waits for the regeneration');

    const own = sqs.push(invocationRecord(payload, { condition: 'EventAgeExceeded', attempts: 1, response: undefined }));
    await eventually(() => sqs.deleted.includes(own) || undefined, "the regeneration's record deleted");
    const failed = await catalog.video(tenant.id, video.id);
    t.equal(failed.status, 'failed', 'its own record fails it');
    t.equal(failed.error, 'the thumbnailer gave up after 1 attempt (EventAgeExceeded)');
    t.same(announcedFor(video.id), ['video.failed', 'video.failed']);
  });

  t.test('a malformed or foreign message is logged and deleted unread; nothing is written', async (t) => {
    const video = await pendingVideo('waiting.mp4');
    const before = await rows();
    const count = announced.length;
    logged.length = 0;
    const handles = [
      sqs.push('{"not":"a record"}'),
      sqs.push(s3Event('Object Deleted', video.key)),
      sqs.push(invocationRecord(uploadPayload(thumbnailKey(video.id, 96, 'jpeg')))),
      sqs.push(invocationRecord(uploadPayload(video.key), { condition: 'Success', attempts: 1, response: null })),
    ];
    await eventually(() => handles.every((handle) => sqs.deleted.includes(handle)) || undefined, 'every one deleted');
    t.same(await rows(), before, 'no row changed: the video is still pending, not deleted by the S3 event sent here');
    t.equal(announced.length, count, 'nothing announced');
    t.same(logged.map((line) => line.msg), Array(4).fill('a message that carries nothing for the catalog, deleted'), 'each one logged');
    t.same(logged.map((line) => line.messageId).sort(), handles.map((handle) => handle.replace('handle', 'message')).sort(), 'by its id');
  });

  t.test('a hand-over the catalog refuses leaves the message in the queue, and the video as it was', async (t) => {
    const video = await pendingVideo('stuck.mp4');
    const before = await rows();
    const count = announced.length;
    refusals = 1;
    const kept = sqs.push(invocationRecord(uploadPayload(video.key)));
    await eventually(() => sqs.receivesSince(kept) > 0 || undefined, 'the consumer to move on past that batch');
    t.equal(refusals, 0, 'the catalog was asked, and refused');
    t.notOk(sqs.deleted.includes(kept), 'the message stays: it comes back after its visibility timeout');
    t.same(await rows(), before, 'the video is still pending: its failure went with the refused event');
    t.equal(announced.length, count, 'nothing announced');
    t.match(logged.at(-1), { msg: 'not handed to the catalog: the message comes back after its visibility timeout' });
  });
});
