// The local object-event queues, as data: one durable job per record the object store reports
// (stately per event and object, so a second identical delivery while one waits is the same job),
// retried with backoff when the invocation fails in a way a retry may fix, heartbeats so a dead
// replica's job moves on, then a dead letter; one job per regeneration the service asks for
// (retried and dead-lettered alike); and the reconcile, one at a time across replicas
// (exclusive). Never holds work itself, never reads the store or the registrations.
import { z } from 'zod';
import { jobPayload, type QueueDefinition } from '../db/job-engine.js';
import { regenerationRunSchema } from '../domain/thumbnail-regeneration.js';

export const OBJECT_EVENTS_QUEUE = 'local-object-events';
export const OBJECT_EVENTS_DEAD_LETTER_QUEUE = 'local-object-events-dead';
export const REGENERATIONS_QUEUE = 'local-regenerations';
export const REGENERATIONS_DEAD_LETTER_QUEUE = 'local-regenerations-dead';
export const OBJECT_RECONCILE_QUEUE = 'local-object-reconcile';

/** Attempts after the first; with backoff from OBJECT_EVENT_RETRY_DELAY_SECONDS they span about a minute. */
export const OBJECT_EVENT_RETRY_LIMIT = 5;
export const OBJECT_EVENT_RETRY_DELAY_SECONDS = 2;
/** Lambda ends every invocation within 15 minutes; this only bounds a worker that never returns. */
const INVOCATION_CEILING_SECONDS = 15 * 60 + 60;

/** One object the store reported, as it reported it: the key is raw (not URL-encoded), the event name may carry "s3:". */
export const objectEventPayload = jobPayload(
  1,
  z.object({
    eventName: z.string().min(1),
    bucket: z.string().min(1),
    key: z.string().min(1),
    size: z.number().optional(),
    eTag: z.string().optional(),
  }),
);

export type ObjectEvent = z.output<typeof objectEventPayload.schema>;

/** A regeneration of a stored video, as the service asks the tenant's function for it (the aws target invokes the function instead). */
export const regenerationJobPayload = jobPayload(1, regenerationRunSchema);

/** The event versitygw posts once as it starts, which carries no object (and makes no job). */
export function isStoreTestEvent(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { Event?: unknown }).Event === 's3:TestEvent';
}

/** What asked for a reconcile, for the log. */
export const reconcilePayload = jobPayload(1, z.object({ reason: z.string().min(1) }));

/** The key under which identical jobs collapse (stately: one waiting and one running per key). */
export function objectEventKey(event: Pick<ObjectEvent, 'eventName' | 'bucket' | 'key'>): string {
  return `${event.eventName.replace(/^s3:/, '')} ${event.bucket}/${event.key}`;
}

export type ObjectEventQueueOptions = {
  heartbeatSeconds: number;
  /** Overrides for tests that exhaust the retries; the defaults are the constants above. */
  retryLimit?: number;
  retryDelaySeconds?: number;
};

export function objectEventQueues(options: ObjectEventQueueOptions): QueueDefinition[] {
  // An invocation's job, whatever asked for it: retried with backoff, then dead-lettered.
  const invocation = {
    retryLimit: options.retryLimit ?? OBJECT_EVENT_RETRY_LIMIT,
    retryDelay: options.retryDelaySeconds ?? OBJECT_EVENT_RETRY_DELAY_SECONDS,
    retryBackoff: true,
    heartbeatSeconds: options.heartbeatSeconds,
    expireInSeconds: INVOCATION_CEILING_SECONDS,
    notify: true,
  };
  return [
    { name: OBJECT_EVENTS_QUEUE, policy: 'stately', ...invocation, deadLetter: OBJECT_EVENTS_DEAD_LETTER_QUEUE, payload: objectEventPayload },
    { name: OBJECT_EVENTS_DEAD_LETTER_QUEUE, policy: 'standard', retryLimit: 2, retryDelay: 5, payload: objectEventPayload },
    // Each regeneration is its own job (the catalog lets a video have one on its way at a time).
    { name: REGENERATIONS_QUEUE, policy: 'standard', ...invocation, deadLetter: REGENERATIONS_DEAD_LETTER_QUEUE, payload: regenerationJobPayload },
    { name: REGENERATIONS_DEAD_LETTER_QUEUE, policy: 'standard', retryLimit: 2, retryDelay: 5, payload: regenerationJobPayload },
    {
      name: OBJECT_RECONCILE_QUEUE,
      policy: 'exclusive',
      retryLimit: 3,
      retryDelay: 5,
      retryBackoff: true,
      heartbeatSeconds: options.heartbeatSeconds,
      // Listing every bucket is bounded by the store, not by a handler; an hour catches a hung one.
      expireInSeconds: 3600,
      notify: true,
      payload: reconcilePayload,
    },
  ];
}
