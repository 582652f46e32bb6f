// What the aws target's thumbnailer failures queue carries: the record Lambda sends a function's
// failure destination when an asynchronous invocation (S3's, or a regeneration's) spent its retries
// or waited too long, read as the catalog's "the thumbnailer gave up" for each video it names.
// Pure: it never reads a bucket or a queue, and takes nothing from a record it does not understand.
import { z } from 'zod';
import { REGENERATION_EVENT_FIELD, regenerationSchema } from '../domain/thumbnail-regeneration.js';
import { thumbnailerGaveUpReason } from '../domain/thumbnailer-gave-up.js';
import { videoIdOfKey } from '../domain/video-layout.js';
import { decodeS3EventKey } from '../lambda-image/s3-event-key.js';

/** A video whose run the thumbnailer gave up on: the arguments of the catalog's thumbnailerGaveUp. */
export type ThumbnailerGaveUp = { bucket: string; videoKey: string; reason: string; regeneration: string | null };

/** Lambda's invocation record (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). */
const invocationRecordSchema = z.object({
  requestContext: z.object({
    functionArn: z.string().startsWith('arn:'),
    // "RetriesExhausted" or "EventAgeExceeded"; a record of a success is none of the catalog's business.
    condition: z.string().min(1).refine((condition) => condition !== 'Success'),
    approximateInvokeCount: z.number().int().nonnegative(),
  }),
  // What the function was invoked with: S3's event notification, or the service's regeneration of
  // a stored video (the same records, the regeneration beside them). Keys are URL-encoded there.
  requestPayload: z.object({
    Records: z.array(z.object({ s3: z.object({ bucket: z.object({ name: z.string().min(1) }), object: z.object({ key: z.string().min(1) }) }) })).min(1),
    [REGENERATION_EVENT_FIELD]: regenerationSchema.optional(),
  }),
  // The last attempt's error (Lambda's error object); absent when no attempt ran.
  responsePayload: z.object({ errorMessage: z.string().optional() }).nullish().catch(null),
});

function decodedKey(encoded: string): string | undefined {
  try {
    return decodeS3EventKey(encoded);
  } catch {
    return undefined;
  }
}

/** The videos a failures queue message says the thumbnailer gave up on, or undefined when it says that of none. */
export function gaveUpOfMessage(body: string | undefined): ThumbnailerGaveUp[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
  const parsed = invocationRecordSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { requestContext, requestPayload, responsePayload } = parsed.data;
  const reason = thumbnailerGaveUpReason(requestContext.approximateInvokeCount, { condition: requestContext.condition, error: responsePayload?.errorMessage });
  const regeneration = requestPayload[REGENERATION_EVENT_FIELD]?.id ?? null;
  const videos: ThumbnailerGaveUp[] = [];
  for (const record of requestPayload.Records) {
    const videoKey = decodedKey(record.s3.object.key);
    if (videoKey && videoIdOfKey(videoKey)) videos.push({ bucket: record.s3.bucket.name, videoKey, reason, regeneration });
  }
  return videos.length > 0 ? videos : undefined;
}
