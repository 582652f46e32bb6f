// The local function runner: takes the object store's events, keeps those a registered trigger
// matches, and invokes the thumbnail handler as Lambda would (AWS event shape, timeout, bounded
// concurrency). Events are queued, never dropped; a sweep catches up on what was missed while down.
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { S3EventRecord } from 'aws-lambda';
import PQueue from 'p-queue';
import { z } from 'zod';
import { listFunctions, listTriggers, type FunctionRegistration, type TriggerRegistration } from '../domain/local-registrations.js';
import { createS3Client, type S3Connection } from '../domain/s3-connection.js';
import { THUMBNAIL_PREFIX, videoIdOfKey } from '../domain/video-layout.js';
import { createThumbnailHandler, type ThumbnailHandler, type ThumbnailLogger } from '../lambda-image/handler.js';
import { s3EventRecord, type StoredObject } from './s3-event-record.js';
import { triggerEventMatches, triggerKeyMatches } from './trigger-match.js';

export const DEFAULT_RUNNER_CONCURRENCY = 2;

export type FunctionRunnerOptions = {
  dataDir: string;
  connection: S3Connection;
  concurrency?: number;
  /** Caps every invocation; otherwise the function's registered timeout applies. */
  timeoutMs?: number;
  logger?: ThumbnailLogger;
  /** The handler a registered function runs: the thumbnail handler, unless a test swaps it. */
  handlerFor?: (fn: FunctionRegistration, s3: S3Client) => ThumbnailHandler;
};

export type FunctionRunner = {
  /** One webhook delivery from the store (already authenticated by the caller). Returns at once. */
  accept(body: unknown): void;
  /** Queues every registered bucket's videos that have neither thumbnails nor error.json. */
  sweep(): Promise<void>;
  /** Resolves once nothing is queued, running or being matched. */
  idle(): Promise<void>;
  /** Stops accepting, lets queued invocations finish, releases the S3 client. */
  close(): Promise<void>;
};

// What versitygw posts: {"Records":[...]} for object events, {"Event":"s3:TestEvent"} at its start.
const storeEventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string(), size: z.number().optional(), eTag: z.string().optional() }),
      }),
    }),
  ),
});

class InvocationTimedOut extends Error {}

const silent: ThumbnailLogger = { info() {}, warn() {}, error() {} };

export function createFunctionRunner(options: FunctionRunnerOptions): FunctionRunner {
  const log = options.logger ?? silent;
  const s3 = createS3Client(options.connection);
  const queue = new PQueue({ concurrency: options.concurrency ?? DEFAULT_RUNNER_CONCURRENCY });
  const matching = new Set<Promise<void>>();
  const handlerFor = options.handlerFor ?? ((fn, client) => createThumbnailHandler({ s3: client, settings: fn.settings, logger: log }));
  let closed = false;

  async function registrations() {
    const [triggers, functions] = await Promise.all([listTriggers(options.dataDir), listFunctions(options.dataDir)]);
    return { triggers, functionNamed: (name: string) => functions.find((fn) => fn.name === name) };
  }

  // A registration's memoryMb is not applied here: Node has no portable way to cap a child ffmpeg's
  // memory (no cgroups outside Linux, and an address-space limit breaks its allocator). It is
  // registered because the aws program's function has it.
  async function invoke(fn: FunctionRegistration, record: S3EventRecord): Promise<void> {
    const timeoutMs = Math.min(fn.timeoutSeconds * 1000, options.timeoutMs ?? Number.POSITIVE_INFINITY);
    const started = Date.now();
    const context = { getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()) };
    const details = { function: fn.name, bucket: record.s3.bucket.name, key: record.s3.object.key };
    let timer: NodeJS.Timeout | undefined;
    const running = handlerFor(fn, s3)({ Records: [record] }, context);
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
    } catch (error) {
      const outcome = error instanceof InvocationTimedOut ? 'timed-out' : 'failed';
      log.error({ ...details, outcome, err: error instanceof Error ? error.message : String(error), durationMs: Date.now() - started }, 'function invoked');
    } finally {
      clearTimeout(timer);
    }
  }

  function enqueue(fn: FunctionRegistration, record: S3EventRecord) {
    void queue.add(() => invoke(fn, record));
  }

  async function dispatch(objects: Array<StoredObject & { eventName: string }>) {
    const { triggers, functionNamed } = await registrations();
    for (const object of objects) {
      const trigger = triggers.find((candidate) => candidate.bucket === object.bucket);
      if (!trigger || !triggerEventMatches(trigger, object.eventName) || !triggerKeyMatches(trigger, object.key)) continue;
      const fn = functionNamed(trigger.functionName);
      if (!fn) {
        log.warn({ bucket: object.bucket, key: object.key, function: trigger.functionName }, 'trigger names no registered function');
        continue;
      }
      enqueue(fn, s3EventRecord(object, object.eventName, options.connection.region));
    }
  }

  function track(work: Promise<void>) {
    const tracked = work.catch((error: unknown) => log.error({ err: error instanceof Error ? error.message : String(error) }, 'event dispatch failed'));
    matching.add(tracked);
    void tracked.finally(() => matching.delete(tracked));
  }

  async function unprocessedVideos(trigger: TriggerRegistration): Promise<StoredObject[]> {
    const videos: StoredObject[] = [];
    const done = new Set<string>();
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: trigger.bucket })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key!;
        if (key.startsWith(THUMBNAIL_PREFIX)) done.add(key.slice(THUMBNAIL_PREFIX.length).split('/')[0]!);
        else if (triggerKeyMatches(trigger, key)) videos.push({ bucket: trigger.bucket, key, size: object.Size, eTag: object.ETag });
      }
    }
    return videos.filter((video) => !done.has(videoIdOfKey(video.key) ?? ''));
  }

  async function idle() {
    while (matching.size > 0 || queue.size > 0 || queue.pending > 0) {
      await Promise.all(matching);
      await queue.onIdle();
    }
  }

  return {
    accept(body) {
      if (closed) return log.warn({}, 'function runner closed: event left for the next start’s sweep');
      if (typeof body === 'object' && body !== null && (body as { Event?: unknown }).Event === 's3:TestEvent') return;
      const parsed = storeEventSchema.safeParse(body);
      if (!parsed.success) return log.warn({ issues: parsed.error.issues.length }, 'object store event not understood');
      track(dispatch(parsed.data.Records.map((record) => ({ eventName: record.eventName, bucket: record.s3.bucket.name, ...record.s3.object }))));
    },

    async sweep() {
      const { triggers, functionNamed } = await registrations();
      for (const trigger of triggers) {
        const fn = functionNamed(trigger.functionName);
        if (!fn) continue;
        const missed = await unprocessedVideos(trigger);
        if (missed.length > 0) log.info({ bucket: trigger.bucket, videos: missed.length }, 'sweep found videos without thumbnails');
        for (const video of missed) enqueue(fn, s3EventRecord(video, 'ObjectCreated:Put', options.connection.region));
      }
    },

    idle,

    async close() {
      closed = true;
      await idle();
      s3.destroy();
    },
  };
}
