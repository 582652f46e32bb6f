// The catalog's queues, as data: one durable job per object change a bucket reported (stately per
// change and object, so a second identical report while one waits is the same job), retried with
// backoff, then a dead letter (logged; the reconcile is the backstop); and the reconcile, one at a
// time across replicas (exclusive). Never holds work itself, never reads a bucket.
import { z } from 'zod';
import { jobPayload, type QueueDefinition } from '../db/job-engine.js';

export const CATALOG_EVENTS_QUEUE = 'catalog-object-events';
export const CATALOG_EVENTS_DEAD_LETTER_QUEUE = 'catalog-object-events-dead';
export const CATALOG_RECONCILE_QUEUE = 'catalog-reconcile';

export const OBJECT_CHANGES = ['created', 'removed'] as const;
export type ObjectChangeKind = (typeof OBJECT_CHANGES)[number];

/**
 * One object a bucket reported created or removed. The key is raw (decoded); `at` is when the
 * service heard of it (the thumbnail's time until a reconcile reads the object's own).
 */
export const objectChangePayload = jobPayload(
  1,
  z.object({
    change: z.enum(OBJECT_CHANGES),
    bucket: z.string().min(1),
    key: z.string().min(1),
    size: z.number().int().nonnegative().optional(),
    at: z.iso.datetime(),
  }),
);

export type ObjectChange = z.output<typeof objectChangePayload.schema>;

/** What asked for a reconcile, for the log. */
export const catalogReconcilePayload = jobPayload(1, z.object({ reason: z.string().min(1) }));

/** S3's event names (`s3:ObjectCreated:Put`, `ObjectRemoved:Delete`…) as the catalog's changes; undefined for any other event. */
export function changeOfEventName(eventName: string): ObjectChangeKind | undefined {
  const name = eventName.replace(/^s3:/, '');
  if (name.startsWith('ObjectCreated:')) return 'created';
  if (name.startsWith('ObjectRemoved:')) return 'removed';
  return undefined;
}

/** The key under which identical jobs collapse (stately: one waiting and one running per key). */
export function objectChangeKey(change: Pick<ObjectChange, 'change' | 'bucket' | 'key'>): string {
  return `${change.change} ${change.bucket}/${change.key}`;
}

const RETRY_LIMIT = 5;
const RETRY_DELAY_SECONDS = 2;

export function catalogQueues(options: { heartbeatSeconds: number }): QueueDefinition[] {
  return [
    {
      name: CATALOG_EVENTS_QUEUE,
      policy: 'stately',
      retryLimit: RETRY_LIMIT,
      retryDelay: RETRY_DELAY_SECONDS,
      retryBackoff: true,
      heartbeatSeconds: options.heartbeatSeconds,
      // One change is a few queries and at most one small object read.
      expireInSeconds: 300,
      deadLetter: CATALOG_EVENTS_DEAD_LETTER_QUEUE,
      notify: true,
      payload: objectChangePayload,
    },
    { name: CATALOG_EVENTS_DEAD_LETTER_QUEUE, policy: 'standard', retryLimit: 2, retryDelay: 5, payload: objectChangePayload },
    {
      name: CATALOG_RECONCILE_QUEUE,
      policy: 'exclusive',
      retryLimit: 3,
      retryDelay: 30,
      retryBackoff: true,
      heartbeatSeconds: options.heartbeatSeconds,
      // Listing every bucket is bounded by the store, not by a handler; an hour catches a hung one.
      expireInSeconds: 3600,
      notify: true,
      payload: catalogReconcilePayload,
    },
  ];
}
