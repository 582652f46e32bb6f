// The local function runner: every record the object store reports becomes a durable pg-boss job
// before the webhook is answered (in one transaction with whatever else the delivery is forwarded
// to: the catalog's jobs); this replica's workers match each job against the registered
// trigger and invoke the thumbnail handler as Lambda would (AWS event shape, timeout, bounded
// concurrency), completing the job only once the handler finished, so a job survives the service
// being down or busy and a failure a retry may fix is retried with backoff, then dead-lettered.
// versitygw never retries a delivery it could not make (the service down, or a 503 when the job
// could not be sent), and under concurrent uploads it may name another bucket than the object's: the
// reconcile is the backstop. It runs as a job (one at a time across replicas) and sends a job for
// every video whose outputs are incomplete; a dead-lettered event whose object is not in the bucket
// it names asks for one. A regeneration the service asks for is a job too (sent in the service's
// transaction), invoking the tenant's function by name with the S3 event of the stored video and the
// regeneration beside it, as the aws target's asynchronous invoke does. Each invocation's
// outcome and duration are reported to the metrics it is handed, and a dead-lettered event to the
// hook it is handed (the catalog shows that video failed).
// It must never ack an event it has not made durable, never run an invocation outside a job, and
// never treat a video with error.json as unfinished (a recorded failure is final).
import { HeadObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { S3EventRecord } from 'aws-lambda';
import type { JobWithMetadata, PgBoss } from 'pg-boss';
import { z } from 'zod';
import { asJobDb, type Database, type Queryable } from '../db/database.js';
import { defineQueues, readJobPayload, sendJob, type SendJobOptions } from '../db/job-engine.js';
import { findFunction, findTrigger, listFunctions, listTriggers, type FunctionRegistration, type TriggerRegistration } from '../domain/local-registrations.js';
import { createS3Client, type S3Connection } from '../domain/s3-connection.js';
import type { Regeneration, RegenerationRun } from '../domain/thumbnail-regeneration.js';
import { thumbnailerGaveUpReason } from '../domain/thumbnailer-gave-up.js';
import { thumbnailErrorKey, thumbnailKey, videoIdOfKey } from '../domain/video-layout.js';
import { createThumbnailHandler, type RecordResult, type ThumbnailHandler, type ThumbnailLogger } from '../lambda-image/handler.js';
import {
  isStoreTestEvent,
  OBJECT_EVENTS_DEAD_LETTER_QUEUE,
  OBJECT_EVENTS_QUEUE,
  OBJECT_RECONCILE_QUEUE,
  objectEventKey,
  objectEventPayload,
  objectEventQueues,
  reconcilePayload,
  REGENERATIONS_DEAD_LETTER_QUEUE,
  REGENERATIONS_QUEUE,
  regenerationJobPayload,
  type ObjectEvent,
  type ObjectEventQueueOptions,
} from './object-event-queue.js';
import { s3EventRecord, STORED_VIDEO_EVENT, type StoredObject } from './s3-event-record.js';
import { triggerEventMatches, triggerKeyMatches } from './trigger-match.js';

export const DEFAULT_RUNNER_CONCURRENCY = 2;
/** How often an idle worker looks for a job that became ready without a NOTIFY (a retry's backoff ending). */
const IDLE_POLL_SECONDS = 2;

/**
 * How an invocation ended: `thumbnails` written, `failed` for good (error.json written), `skipped`
 * (nothing to do), `error` (a failure a retry may fix: the job is retried) or `timed-out`.
 */
export type InvocationOutcome = RecordResult['outcome'] | 'error' | 'timed-out';

/** Where invocations are reported as they end (the service's metrics). */
export type InvocationMetrics = { invocationFinished(invocation: { outcome: InvocationOutcome; seconds: number }): void };

export type FunctionRunnerOptions = {
  /** A started job engine; the runner defines its queues on it. */
  boss: PgBoss;
  /** The job engine's database: each delivery's jobs are sent in one transaction on it. */
  db: Pick<Database, 'transaction'>;
  /** Also given every delivery's records, in the same transaction as their jobs (the catalog queues its own). */
  forward?: (events: ObjectEvent[], tx: Queryable) => Promise<void>;
  /**
   * Told of an invocation that ran out of retries, with the last failure: an object event's (its
   * regeneration null) or a regeneration's (the catalog marks the video waiting for it failed).
   */
  deadLettered?: (run: { bucket: string; key: string; regeneration: string | null }, reason: string) => Promise<void>;
  dataDir: string;
  connection: S3Connection;
  /** The job heartbeat: a replica that stops beating loses its running jobs to another. */
  heartbeatSeconds: number;
  /** Invocations at once on this replica (the event workers' localConcurrency). */
  concurrency?: number;
  /** Caps every invocation; otherwise the function's registered timeout applies. */
  timeoutMs?: number;
  logger?: ThumbnailLogger;
  /** The handler a registered function runs: the thumbnail handler, unless a test swaps it. */
  handlerFor?: (fn: FunctionRegistration, s3: S3Client) => ThumbnailHandler;
  /** Retry overrides for tests; the queue's defaults otherwise. */
  retry?: Pick<ObjectEventQueueOptions, 'retryLimit' | 'retryDelaySeconds'>;
  metrics?: InvocationMetrics;
};

export type FunctionRunner = {
  /**
   * One webhook delivery from the store (already authenticated by the caller): resolves once every
   * record is a job; rejects when one could not be sent, so the caller must not ack the delivery.
   * A test event or a body it cannot read resolves with nothing sent (a retry would not help).
   */
  accept(body: unknown): Promise<void>;
  /** Sends the job of one regeneration in the caller's transaction: durable once it commits, never without it. */
  regenerate(run: RegenerationRun, tx: Queryable): Promise<void>;
  /** Asks for a reconcile as a job; dropped when one is already waiting or running anywhere. */
  requestReconcile(reason: string): Promise<void>;
  /** Starts this replica's workers: events and regenerations (at the runner's concurrency, each), dead letters, reconciles. */
  startWorkers(): Promise<void>;
  /**
   * Takes no new jobs and lets running invocations finish, within graceSeconds when given (the
   * rest fail with the S3 client released, or move on by heartbeat), then releases the S3 client.
   * Sending still works until the job engine stops.
   */
  stop(graceSeconds?: number): Promise<void>;
};

// What versitygw posts: {"Records":[...]} for object events, {"Event":"s3:TestEvent"} at its start.
const storeEventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        // A removal carries no eTag (null).
        object: z.object({ key: z.string(), size: z.number().optional(), eTag: z.string().nullish() }),
      }),
    }),
  ),
});

class InvocationTimedOut extends Error {}

/** A dead letter's reason: the last attempt's error as the job engine kept it (`output.message`). */
function lastFailure(output: object | null, retries: number | null): string {
  const text = (output as { message?: unknown } | null)?.message;
  return thumbnailerGaveUpReason((retries ?? 0) + 1, typeof text === 'string' ? { error: text } : {});
}

const silent: ThumbnailLogger = { info() {}, warn() {}, error() {} };
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function createFunctionRunner(options: FunctionRunnerOptions): Promise<FunctionRunner> {
  const { boss } = options;
  const log = options.logger ?? silent;
  await defineQueues(boss, objectEventQueues({ heartbeatSeconds: options.heartbeatSeconds, ...options.retry }));
  const s3 = createS3Client(options.connection);
  const handlerFor = options.handlerFor ?? ((fn, client) => createThumbnailHandler({ s3: client, settings: fn.settings, logger: log }));
  let working = false;
  let stopping: Promise<void> | undefined;

  async function send(event: ObjectEvent, options: SendJobOptions = {}): Promise<void> {
    await sendJob(boss, OBJECT_EVENTS_QUEUE, objectEventPayload, event, { ...options, singletonKey: objectEventKey(event) });
  }

  // A registration's memoryMb is not applied here: Node has no portable way to cap a child ffmpeg's
  // memory (no cgroups outside Linux, and an address-space limit breaks its allocator). It is
  // registered because the aws program's function has it.
  async function invoke(fn: FunctionRegistration, record: S3EventRecord, attempt: number, regeneration?: Regeneration): Promise<void> {
    const timeoutMs = Math.min(fn.timeoutSeconds * 1000, options.timeoutMs ?? Number.POSITIVE_INFINITY);
    const started = Date.now();
    const context = { getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()) };
    const details = { function: fn.name, bucket: record.s3.bucket.name, key: record.s3.object.key, attempt, ...(regeneration && { regeneration: regeneration.id }) };
    const finished = (outcome: InvocationOutcome) => options.metrics?.invocationFinished({ outcome, seconds: (Date.now() - started) / 1000 });
    let timer: NodeJS.Timeout | undefined;
    const running = handlerFor(fn, s3)({ Records: [record], ...(regeneration && { regeneration }) }, context);
    // After a timeout the handler's own deadline (from the context) ends its work; its late result is dropped.
    running.catch(() => undefined);
    try {
      const result = await Promise.race([
        running,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new InvocationTimedOut(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      log.info({ ...details, outcome: 'succeeded', records: result.records.map((r) => r.outcome), durationMs: Date.now() - started }, 'function invoked');
      // The runner invokes with one record.
      finished(result.records[0]?.outcome ?? 'skipped');
    } catch (error) {
      const outcome = error instanceof InvocationTimedOut ? 'timed-out' : 'failed';
      log.error({ ...details, outcome, err: message(error), durationMs: Date.now() - started }, 'function invoked');
      finished(outcome === 'timed-out' ? outcome : 'error');
      // The job fails: the queue retries it with backoff, then dead-letters it.
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One job: the trigger's filters decide; a matching object is invoked, anything else completes as is. */
  async function runEvent(job: JobWithMetadata<unknown>): Promise<void> {
    const event = readJobPayload(objectEventPayload, job.data);
    const trigger = await findTrigger(options.dataDir, event.bucket);
    if (!trigger || !triggerEventMatches(trigger, event.eventName) || !triggerKeyMatches(trigger, event.key)) return;
    const fn = await findFunction(options.dataDir, trigger.functionName);
    if (!fn) {
      log.warn({ bucket: event.bucket, key: event.key, function: trigger.functionName }, 'trigger names no registered function');
      return;
    }
    await invoke(fn, s3EventRecord(event, event.eventName, options.connection.region), job.retryCount + 1);
  }

  /** One regeneration: the tenant's function, invoked as the aws target invokes it (no trigger involved). */
  async function runRegeneration(job: JobWithMetadata<unknown>): Promise<void> {
    const run = readJobPayload(regenerationJobPayload, job.data);
    const fn = await findFunction(options.dataDir, run.functionName);
    if (!fn) {
      // The tenant's stack is gone (its videos with it): nothing to regenerate.
      log.warn({ bucket: run.bucket, key: run.key, function: run.functionName, regeneration: run.regeneration.id }, 'regeneration names no registered function');
      return;
    }
    await invoke(fn, s3EventRecord(run, STORED_VIDEO_EVENT, options.connection.region), job.retryCount + 1, run.regeneration);
  }

  /**
   * Whether the event's object is missing from the bucket the event names: versitygw (1.8) builds an
   * event's bucket name from the request path after the request ended, when its HTTP framework may
   * have reused that memory for another request (same-length bucket names swap silently). Undefined
   * when the store could not say.
   */
  async function missingFromItsBucket(event: ObjectEvent): Promise<boolean | undefined> {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: event.bucket, Key: event.key }));
      return false;
    } catch (error) {
      const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if ($metadata?.httpStatusCode === 404 || name === 'NotFound' || name === 'NoSuchBucket') return true;
      log.warn({ bucket: event.bucket, key: event.key, err: message(error) }, 'could not check where a dead-lettered event’s object is');
      return undefined;
    }
  }

  /** The trigger's videos without error.json that lack a thumbnail at one of the function's widths. */
  async function incompleteVideos(trigger: TriggerRegistration, fn: FunctionRegistration): Promise<StoredObject[]> {
    const videos: StoredObject[] = [];
    const present = new Set<string>();
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: trigger.bucket })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key!;
        present.add(key);
        if (videoIdOfKey(key) && triggerKeyMatches(trigger, key)) videos.push({ bucket: trigger.bucket, key, size: object.Size, eTag: object.ETag });
      }
    }
    const { widths, format } = fn.settings;
    return videos.filter((video) => {
      const videoId = videoIdOfKey(video.key)!;
      if (present.has(thumbnailErrorKey(videoId))) return false;
      return !widths.every((width) => present.has(thumbnailKey(videoId, width, format)));
    });
  }

  async function reconcile(reason: string): Promise<void> {
    const [triggers, functions] = await Promise.all([listTriggers(options.dataDir), listFunctions(options.dataDir)]);
    const failures: string[] = [];
    let sent = 0;
    for (const trigger of triggers) {
      const fn = functions.find((candidate) => candidate.name === trigger.functionName);
      if (!fn || !triggerEventMatches(trigger, STORED_VIDEO_EVENT)) continue;
      try {
        const incomplete = await incompleteVideos(trigger, fn);
        for (const video of incomplete) await send({ eventName: STORED_VIDEO_EVENT, ...video });
        sent += incomplete.length;
        if (incomplete.length > 0) log.info({ bucket: trigger.bucket, videos: incomplete.length, reason }, 'reconcile found videos with incomplete outputs');
      } catch (error) {
        // A trigger left behind by a deleted bucket holds nothing to finish.
        if ((error as { name?: unknown }).name === 'NoSuchBucket') continue;
        failures.push(`${trigger.bucket}: ${message(error)}`);
      }
    }
    log.info({ reason, buckets: triggers.length, sent, failed: failures.length }, 'reconcile done');
    // Failing the job retries the whole pass; what it already sent collapses into the same jobs.
    if (failures.length > 0) throw new Error(`reconcile failed for ${failures.join('; ')}`);
  }

  return {
    async accept(body) {
      if (isStoreTestEvent(body)) return;
      const parsed = storeEventSchema.safeParse(body);
      if (!parsed.success) return log.warn({ issues: parsed.error.issues.length }, 'object store event not understood');
      const events = parsed.data.Records.map(({ eventName, s3: { bucket, object } }) => ({ eventName, bucket: bucket.name, key: object.key, size: object.size, eTag: object.eTag ?? undefined }));
      // Every job of the delivery, or none: the store is acked only once all of them are durable.
      await options.db.transaction(async (tx) => {
        for (const event of events) await send(event, { db: asJobDb(tx) });
        await options.forward?.(events, tx);
      });
    },

    async regenerate(run, tx) {
      await sendJob(boss, REGENERATIONS_QUEUE, regenerationJobPayload, run, { db: asJobDb(tx) });
    },

    async requestReconcile(reason) {
      await sendJob(boss, OBJECT_RECONCILE_QUEUE, reconcilePayload, { reason });
    },

    async startWorkers() {
      if (working || stopping) return;
      working = true;
      const polling = { pollingIntervalSeconds: IDLE_POLL_SECONDS, notifyPollingIntervalSeconds: IDLE_POLL_SECONDS };
      await boss.work(
        OBJECT_EVENTS_QUEUE,
        { ...polling, localConcurrency: options.concurrency ?? DEFAULT_RUNNER_CONCURRENCY, includeMetadata: true },
        async ([job]) => runEvent(job!),
      );
      await boss.work(
        REGENERATIONS_QUEUE,
        { ...polling, localConcurrency: options.concurrency ?? DEFAULT_RUNNER_CONCURRENCY, includeMetadata: true },
        async ([job]) => runRegeneration(job!),
      );
      await boss.work(OBJECT_EVENTS_DEAD_LETTER_QUEUE, { ...polling, includeMetadata: true }, async ([job]) => {
        const event = readJobPayload(objectEventPayload, job!.data);
        log.error({ ...event }, 'object event dead-lettered after its retries: the next reconcile sends it again if its outputs are incomplete');
        await options.deadLettered?.({ bucket: event.bucket, key: event.key, regeneration: null }, lastFailure(job!.sourceOutput, job!.sourceRetryCount));
        // Only then: a video that keeps failing where it is stays dead-lettered instead of going round again.
        if (event.eventName.includes('ObjectCreated') && (await missingFromItsBucket(event))) {
          await sendJob(boss, OBJECT_RECONCILE_QUEUE, reconcilePayload, { reason: 'a dead-lettered event named a bucket without its object' });
        }
      });
      await boss.work(REGENERATIONS_DEAD_LETTER_QUEUE, { ...polling, includeMetadata: true }, async ([job]) => {
        const run = readJobPayload(regenerationJobPayload, job!.data);
        log.error({ bucket: run.bucket, key: run.key, regeneration: run.regeneration.id }, 'regeneration dead-lettered after its retries');
        await options.deadLettered?.({ bucket: run.bucket, key: run.key, regeneration: run.regeneration.id }, lastFailure(job!.sourceOutput, job!.sourceRetryCount));
      });
      await boss.work(OBJECT_RECONCILE_QUEUE, { ...polling }, async ([job]) => reconcile(readJobPayload(reconcilePayload, job!.data).reason));
    },

    stop(graceSeconds) {
      stopping ??= (async () => {
        const queues = [OBJECT_EVENTS_QUEUE, REGENERATIONS_QUEUE, OBJECT_EVENTS_DEAD_LETTER_QUEUE, REGENERATIONS_DEAD_LETTER_QUEUE, OBJECT_RECONCILE_QUEUE];
        const off = Promise.all(queues.map((queue) => boss.offWork(queue)));
        if (graceSeconds === undefined) {
          await off;
        } else {
          let timer: NodeJS.Timeout | undefined;
          const grace = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceSeconds * 1000)));
          const ended = await Promise.race([off.then(() => 'done' as const), grace]);
          clearTimeout(timer);
          if (ended === 'grace') log.warn({}, 'shutdown grace over: running invocations are left to fail and be retried');
        }
        s3.destroy();
      })();
      return stopping;
    },
  };
}
