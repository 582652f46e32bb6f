// The aws target's catalog-events consumer with the real SQS client against a fake SQS on loopback
// (AWS itself is the only thing stood in for: the fake speaks SQS's JSON protocol, holds a long poll
// until it has messages, and records deletes). A message is deleted only once delivered; one that is
// not an S3 event is deleted unread; a failed delivery leaves its message; a failed receive is
// retried; stop ends a poll in flight.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { changeOfMessage, startSqsEventConsumer } from '../../src/catalog/sqs-event-consumer.js';
import type { ObjectChange } from '../../src/catalog/catalog-queue.js';
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
  const consumer = startSqsEventConsumer({
    sqs: client,
    queueUrl: sqs.queueUrl,
    logger: pino({ level: 'silent' }),
    deliver: async (changes) => {
      if (refuse) throw new Error('the database is away');
      delivered.push(...changes);
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
