// The aws target's intake from the catalog's two SQS queues: the events queue (each S3 "Object
// Created" / "Object Deleted" event the tenant buckets' EventBridge rules send becomes a durable
// change) and the thumbnailer failures queue (each failure destination's record, read by
// thumbnailer-failure-record.ts, fails the videos waiting for that run). Each queue is long-polled
// and read for its own kind of message only. A message is deleted only once the catalog has what
// it carries (one it could not hand over comes back after the visibility timeout, and after its
// receives to the dead-letter queue); one that carries nothing of its kind is logged and deleted:
// no retry would help. It stops on shutdown (the poll in flight is aborted) and never reads a bucket.
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ObjectChange, ObjectChangeKind } from './catalog-queue.js';
import { gaveUpOfMessage } from './thumbnailer-failure-record.js';
import type { VideoCatalog } from './video-catalog.js';

/** SQS's longest long poll. */
const WAIT_SECONDS = 20;
/** SQS's largest batch. */
const BATCH = 10;
/** Pauses after a failed receive, doubling while the queue does not answer. */
const RECEIVE_BACKOFF_MS = { first: 1_000, max: 30_000 };

const EVENT_CHANGES: Record<string, ObjectChangeKind> = { 'Object Created': 'created', 'Object Deleted': 'removed' };

/** What S3 sends EventBridge (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html); keys are not URL-encoded there. */
const s3EventSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.string(),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().int().nonnegative().optional() }),
  }),
});

/** The catalog change a queue message carries, or undefined when it carries none. */
export function changeOfMessage(body: string | undefined): ObjectChange | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
  const parsed = s3EventSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  const change = EVENT_CHANGES[event['detail-type']];
  if (!change) return undefined;
  const { bucket, object } = event.detail;
  return { change, bucket: bucket.name, key: object.key, ...(object.size !== undefined && { size: object.size }), at: new Date(event.time).toISOString() };
}

export type SqsEventConsumer = { stop(): Promise<void> };

type ConsumerOptions = { sqs: SQSClient; queueUrl: string; logger: Pick<Logger, 'warn' | 'error'> };

/** The catalog events queue: each change is queued as the catalog's job (a rejection leaves the message). */
export function startCatalogEventsConsumer(options: ConsumerOptions & { catalog: Pick<VideoCatalog, 'enqueue'> }): SqsEventConsumer {
  return startSqsEventConsumer({ ...options, read: changeOfMessage, deliver: (change) => options.catalog.enqueue([change]) });
}

/** The thumbnailer failures queue: each video the record names shows failed once the catalog has recorded it. */
export function startThumbnailerFailuresConsumer(options: ConsumerOptions & { catalog: Pick<VideoCatalog, 'thumbnailerGaveUp'> }): SqsEventConsumer {
  return startSqsEventConsumer({
    ...options,
    read: gaveUpOfMessage,
    deliver: async (videos) => {
      // In order; when one fails, the message comes again and the catalog takes the others twice harmlessly.
      for (const { bucket, videoKey, reason, regeneration } of videos) await options.catalog.thumbnailerGaveUp(bucket, videoKey, { reason, regeneration });
    },
  });
}

function startSqsEventConsumer<T>(
  options: ConsumerOptions & {
    /** What a message's body carries for the catalog, or undefined when it carries nothing (the message is deleted). */
    read(body: string | undefined): T | undefined;
    /** Resolves once the catalog has it durably; a rejection leaves the message in the queue. */
    deliver(carried: T): Promise<void>;
  },
): SqsEventConsumer {
  const { sqs, queueUrl, logger } = options;
  const stopping = new AbortController();

  /** The messages of one batch the catalog now has, or that carry nothing for it. */
  async function handled(messages: Message[]): Promise<Message[]> {
    const done: Message[] = [];
    for (const message of messages) {
      const carried = options.read(message.Body);
      if (carried === undefined) {
        logger.warn({ messageId: message.MessageId }, 'a message that carries nothing for the catalog, deleted');
        done.push(message);
        continue;
      }
      try {
        await options.deliver(carried);
        done.push(message);
      } catch (error) {
        logger.error({ err: error, messageId: message.MessageId }, 'not handed to the catalog: the message comes back after its visibility timeout');
      }
    }
    return done;
  }

  async function remove(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      const answer = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
      // Delivered again later: the catalog takes a change, or a giving up, twice harmlessly.
      if (answer.Failed?.length) logger.warn({ failed: answer.Failed.length }, 'some messages were not deleted and will come again');
    } catch (error) {
      logger.warn({ err: error }, 'messages not deleted; they will come again');
    }
  }

  const loop = (async () => {
    let pause = RECEIVE_BACKOFF_MS.first;
    while (!stopping.signal.aborted) {
      let messages: Message[];
      try {
        const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: BATCH, WaitTimeSeconds: WAIT_SECONDS }), { abortSignal: stopping.signal });
        messages = answer.Messages ?? [];
        pause = RECEIVE_BACKOFF_MS.first;
      } catch (error) {
        if (stopping.signal.aborted) break;
        logger.warn({ err: error, retryInMs: pause }, 'receive failed');
        await sleep(pause, undefined, { signal: stopping.signal }).catch(() => undefined);
        pause = Math.min(pause * 2, RECEIVE_BACKOFF_MS.max);
        continue;
      }
      await remove(await handled(messages));
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
