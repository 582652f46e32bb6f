// The thumbnailer's Lambda handler for S3 object-created events, also run by the local function
// runner: reads an upload's own `at` from its object metadata, or a regeneration's from the event
// (beside `Records`), has the core render, writes every output under thumbnails/<videoId>/. A
// regeneration's id is written into meta.json (or error.json), and carried forward by a later run
// of the same video, so the catalog knows whose outcome it reads. Each record stands alone; a
// video ffmpeg cannot decode gets error.json, never a retry.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Context, S3Event, S3EventRecord } from 'aws-lambda';
import { pino } from 'pino';
import { createS3Client } from '../domain/s3-connection.js';
import { parseFrameAt, settingsFromEnv, type FrameAt, type ThumbnailSettings } from '../domain/thumbnail-settings.js';
import { REGENERATION_EVENT_FIELD, regenerationSchema, type Regeneration } from '../domain/thumbnail-regeneration.js';
import {
  posterKey,
  previewKey,
  storyboardIndexKey,
  storyboardSheetKey,
  storyboardVttKey,
  thumbnailContentType,
  thumbnailErrorKey,
  thumbnailKey,
  thumbnailMetaKey,
  VIDEO_AT_METADATA,
  VIDEO_PREFIX,
  videoIdOfKey,
  type ThumbnailErrorRecord,
  type ThumbnailMeta,
} from '../domain/video-layout.js';
import { decodeS3EventKey } from './s3-event-key.js';
import { DEFAULT_RENDER_TIMEOUT_MS, renderThumbnails, type ThumbnailRender } from './thumbnail-core.js';
import { isFinalThumbnailError } from './thumbnail-errors.js';

/**
 * Caches keep a link's answer for good: a thumbnail changes only when its video is regenerated, and
 * links are signed per time window, so a cached old frame lasts at most as long as its link.
 */
export const THUMBNAIL_CACHE_CONTROL = 'private, max-age=31536000, immutable';
/** The presigned GET only has to outlive one invocation, and Lambda ends every invocation within 15 minutes. */
const SOURCE_URL_TTL_SECONDS = 15 * 60;
/** Kept back from the invocation's remaining time to write the results (or error.json). */
const WRITE_RESERVE_MS = 5_000;

export type ThumbnailLogger = {
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
};

export type RecordResult =
  | { key: string; outcome: 'thumbnails'; keys: string[] }
  | { key: string; outcome: 'failed'; reason: string }
  | { key: string; outcome: 'skipped'; reason: string };

export type ThumbnailHandlerResult = { records: RecordResult[] };

export type ThumbnailHandlerOptions = {
  s3: S3Client;
  settings: ThumbnailSettings;
  logger?: ThumbnailLogger;
};

/** Raised after every record has been tried, when some failed in a way a retry may fix. */
export class ThumbnailRecordsFailed extends Error {
  constructor(readonly failures: Array<{ key: string; message: string }>) {
    super(`${failures.length} record(s) failed: ${failures.map((failure) => `${failure.key}: ${failure.message}`).join('; ')}`);
  }
}

/** An S3 event, or one the service sends to regenerate a video: the same records, and the regeneration beside them. */
export type ThumbnailEvent = S3Event & { [REGENERATION_EVENT_FIELD]?: Regeneration };

export type ThumbnailHandler = (event: ThumbnailEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<ThumbnailHandlerResult>;

/** What S3 answers for a key that is not there: 404, or 403 to a role that may not list the bucket (the function's may not). */
const ABSENT_STATUSES = new Set([403, 404]);

/** The frame a run takes and who asked for it (meta.json's `at` and `atSource`). */
type RunFrame = { at: FrameAt | undefined; atSource: ThumbnailMeta['atSource']; regeneration: string | null };

export function createThumbnailHandler(options: ThumbnailHandlerOptions): ThumbnailHandler {
  const { s3, settings } = options;
  const log = options.logger ?? pino({ level: 'silent' });

  async function put(bucket: string, key: string, body: Buffer | string, contentType: string, cacheControl: string) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, CacheControl: cacheControl }));
  }

  /** The upload's own `at` (object metadata `VIDEO_AT_METADATA`), if it set a valid one. */
  async function uploadAt(bucket: string, key: string): Promise<FrameAt | undefined> {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((error: unknown) => {
      // A HEAD answer has no body, so the SDK cannot name the error: the status says it.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new Error(`the video cannot be read: HEAD answered ${status ?? 'nothing'}${status === 404 ? ' Not Found' : ''}`, { cause: error });
    });
    const text = head.Metadata?.[VIDEO_AT_METADATA];
    if (text === undefined) return undefined;
    try {
      return parseFrameAt(text);
    } catch {
      log.warn({ bucket, key, at: text }, 'ignoring an invalid thumbnail time in the object metadata');
      return undefined;
    }
  }

  /**
   * A small JSON object an earlier run wrote, or undefined when there is none (or the role may not
   * read it: a function whose stack predates the grant makes everything again). Any other failure
   * throws, so the record is retried.
   */
  async function storedJson(bucket: string, key: string): Promise<unknown> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return JSON.parse(await object.Body!.transformToString());
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== undefined && ABSENT_STATUSES.has(status)) return undefined;
      if (error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  /**
   * A regeneration's own `at` wins; then the upload's (object metadata), then the settings'. A run
   * without one (a redelivered or reconciled upload event) repeats the regeneration the stored
   * meta.json names, so it never undoes it nor counts as a stale outcome.
   */
  async function runFrame(bucket: string, key: string, videoId: string, regeneration: Regeneration | undefined): Promise<RunFrame> {
    const upload = await uploadAt(bucket, key);
    const repeated = regeneration ?? (await previousRegeneration(bucket, videoId));
    const at = repeated?.at ?? upload;
    return { at, atSource: repeated?.at !== undefined ? 'regeneration' : upload !== undefined ? 'upload' : 'settings', regeneration: repeated?.id ?? null };
  }

  /** The regeneration the video's stored meta.json was made by, if any. */
  async function previousRegeneration(bucket: string, videoId: string): Promise<Regeneration | undefined> {
    const stored = (await storedJson(bucket, thumbnailMetaKey(videoId))) as Partial<ThumbnailMeta> | undefined;
    if (typeof stored?.regeneration !== 'string') return undefined;
    const parsed = regenerationSchema.safeParse({ id: stored.regeneration, ...(stored.atSource === 'regeneration' && { at: stored.at }) });
    return parsed.success ? parsed.data : undefined;
  }

  /** Every output of one render; the stills after the rest (they make the video "ready"), meta.json last. */
  async function writeOutputs(bucket: string, videoId: string, videoKey: string, render: ThumbnailRender, frame: RunFrame): Promise<string[]> {
    const written: string[] = [];
    const write = async (key: string, body: Buffer | string, contentType: string, cacheControl = THUMBNAIL_CACHE_CONTROL) => {
      await put(bucket, key, body, contentType, cacheControl);
      written.push(key);
    };
    const { format } = settings;
    const imageType = thumbnailContentType(format);
    // Writing the same keys again is what makes a redelivered event harmless.
    if (render.storyboard) {
      const { sheets, vtt, index } = render.storyboard;
      await Promise.all(sheets.map((sheet, n) => write(storyboardSheetKey(videoId, n, format), sheet, imageType)));
      await write(storyboardVttKey(videoId), vtt, 'text/vtt; charset=utf-8');
      await write(storyboardIndexKey(videoId), `${JSON.stringify(index)}\n`, 'application/json');
    }
    if (render.preview) await write(previewKey(videoId), render.preview.bytes, 'image/webp');
    await write(posterKey(videoId, format), render.poster.bytes, imageType);
    await Promise.all(render.stills.map((still) => write(thumbnailKey(videoId, still.requestedWidth, format), still.bytes, imageType)));
    const { preview } = render;
    // A kept storyboard is described by its stored index, as a new one by its own.
    const storyboard = render.storyboard?.index ?? render.keptStoryboard;
    const meta: ThumbnailMeta = {
      videoKey,
      ...render.video,
      atSeconds: render.frame.atSeconds,
      score: render.frame.score,
      at: frame.at ?? settings.at,
      atSource: frame.atSource,
      regeneration: frame.regeneration,
      format,
      widths: settings.widths,
      storyboard: storyboard ? { sheets: storyboard.sheets.length, tiles: storyboard.cues.length, intervalSeconds: storyboard.intervalSeconds } : null,
      preview: preview
        ? { startSeconds: preview.startSeconds, seconds: preview.seconds, width: preview.width, height: preview.height, fps: preview.fps, bytes: preview.bytes.length }
        : null,
      skipped: render.skipped,
      createdAt: new Date().toISOString(),
    };
    await write(thumbnailMetaKey(videoId), `${JSON.stringify(meta)}\n`, 'application/json', 'no-cache');
    return written;
  }

  async function processRecord(record: S3EventRecord, timeoutMs: number, regeneration: Regeneration | undefined): Promise<RecordResult> {
    const bucket = record.s3.bucket.name;
    const key = decodeS3EventKey(record.s3.object.key);
    const videoId = videoIdOfKey(key);
    if (!record.eventName.includes('ObjectCreated')) return { key, outcome: 'skipped', reason: `event ${record.eventName}` };
    if (!videoId) return { key, outcome: 'skipped', reason: `not under ${VIDEO_PREFIX}<videoId>/` };

    const frame = await runFrame(bucket, key, videoId, regeneration);
    // A regeneration re-extracts the stills: a stored storyboard the settings would make again is kept.
    const storedStoryboard = frame.regeneration !== null && settings.storyboard ? await storedJson(bucket, storyboardIndexKey(videoId)) : undefined;
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: SOURCE_URL_TTL_SECONDS });
    try {
      const render = await renderThumbnails(url, settings, { timeoutMs, at: frame.at, storedStoryboard });
      return { key, outcome: 'thumbnails', keys: await writeOutputs(bucket, videoId, key, render, frame) };
    } catch (error) {
      if (!isFinalThumbnailError(error)) throw error;
      const failure: ThumbnailErrorRecord = { reason: error.reason, videoKey: key, at: new Date().toISOString(), regeneration: frame.regeneration };
      await put(bucket, thumbnailErrorKey(videoId), `${JSON.stringify(failure)}\n`, 'application/json', 'no-cache');
      return { key, outcome: 'failed', reason: error.reason };
    }
  }

  return async (event, context) => {
    const timeoutMs = context ? Math.max(1000, context.getRemainingTimeInMillis() - WRITE_RESERVE_MS) : DEFAULT_RENDER_TIMEOUT_MS;
    const records: RecordResult[] = [];
    const failures: Array<{ key: string; message: string }> = [];
    const asked = event[REGENERATION_EVENT_FIELD];
    const regeneration = asked === undefined ? undefined : regenerationSchema.safeParse(asked);
    if (regeneration && !regeneration.success) {
      // Not what the service sends: no run, rather than one the catalog would never count.
      log.warn({ issues: regeneration.error.issues.length }, 'ignoring an event whose regeneration is not understood');
      return { records: event.Records.map((record) => ({ key: record.s3.object.key, outcome: 'skipped', reason: 'regeneration not understood' })) };
    }
    for (const record of event.Records) {
      const started = Date.now();
      try {
        const result = await processRecord(record, timeoutMs, regeneration?.data);
        records.push(result);
        const level = result.outcome === 'failed' ? 'warn' : 'info';
        log[level]({ bucket: record.s3.bucket.name, ...result, regeneration: regeneration?.data.id, durationMs: Date.now() - started }, `thumbnail ${result.outcome}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ key: record.s3.object.key, message });
        log.error({ bucket: record.s3.bucket.name, key: record.s3.object.key, err: message, durationMs: Date.now() - started }, 'thumbnail error');
      }
    }
    // Throwing makes Lambda retry the event; the records that succeeded are rewritten unchanged.
    if (failures.length > 0) throw new ThumbnailRecordsFailed(failures);
    return { records };
  };
}

let fromEnvironment: ThumbnailHandler | undefined;

/** The Lambda entry point: settings from the function's environment, credentials from its role. */
export const handler: ThumbnailHandler = (event, context) => {
  fromEnvironment ??= createThumbnailHandler({
    s3: createS3Client({ region: process.env.AWS_REGION ?? 'us-east-1' }),
    settings: settingsFromEnv(process.env),
    logger: pino(),
  });
  return fromEnvironment(event, context);
};
