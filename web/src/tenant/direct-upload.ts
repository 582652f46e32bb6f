// A large file straight into the tenant bucket: POST /uploads (or GET /uploads/:id to resume one),
// a PUT of each part to its presigned URL from the browser (a few at once), then POST
// /uploads/:id/complete with the ETags. Each part answered is recorded at once, so a reload loses
// only the parts in flight; the record goes once the upload is a video or the service dropped it.
import { ApiError, type ApiClient } from '../api-client.js';
import type { CreatedUpload, PartUrl, ReceivedPart, UploadedVideo, UploadState } from '../api-types.js';
import { putPart } from './part-request.js';
import { forgetPendingUpload, savePendingUpload, type PendingUpload } from './pending-uploads.js';
import { completionParts, partRanges, resumePlan, type PartRange } from './upload-parts.js';

/** Parts on their way at once: enough to fill a link, few enough that a reload loses little. */
const PARALLEL_PARTS = 3;
/** Answers to completion after which the upload is gone on the service's side (deleted, or never there). */
const UPLOAD_GONE = new Set([404, 413, 415]);

export type PartEvents = {
  /** The parts, and those the store already holds whole (a resumed upload). */
  planned(ranges: PartRange[], kept: number[]): void;
  sending(partNumber: number, sent: number): void;
  sent(partNumber: number): void;
};

const urlsOf = (parts: PartUrl[]) => Object.fromEntries(parts.map((part) => [part.partNumber, part.url]));

/** Resolves with the video's id once the upload is complete (or was completed before a reload). */
export async function directUpload(client: ApiClient, tenantId: string, file: File, events: PartEvents, signal: AbortSignal, resume?: PendingUpload): Promise<string> {
  let upload: PendingUpload;
  let received: ReceivedPart[] = [];
  const save = () => savePendingUpload(tenantId, upload);
  const path = () => `/uploads/${encodeURIComponent(upload.uploadId)}`;

  if (resume) {
    upload = resume;
    const state = await client.get<UploadState>(path(), signal).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) forgetPendingUpload(tenantId, resume.uploadId);
      throw error;
    });
    if (state.status === 'completed') {
      forgetPendingUpload(tenantId, upload.uploadId);
      return state.videoId;
    }
    upload = { ...upload, expiresAt: state.expiresAt, urls: { ...upload.urls, ...urlsOf(state.parts) } };
    received = state.received;
  } else {
    const created = await client.send<CreatedUpload>('POST', '/uploads', { fileName: file.name, size: file.size }, signal);
    upload = {
      uploadId: created.uploadId,
      videoId: created.videoId,
      fileName: file.name,
      size: file.size,
      lastModified: file.lastModified,
      partSize: created.partSize,
      expiresAt: created.expiresAt,
      confirmed: {},
      urls: urlsOf(created.parts),
    };
  }
  save();

  const ranges = partRanges(upload.size, upload.partSize);
  const plan = resumePlan(ranges, received, upload.confirmed);
  upload.confirmed = plan.kept;
  save();
  events.planned(ranges, Object.keys(plan.kept).map(Number));

  // One part refused ends the others: the upload stays resumable from what arrived.
  const parts = new AbortController();
  const stop = () => parts.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  const queue = [...plan.send];
  const worker = async () => {
    for (let partNumber = queue.shift(); partNumber !== undefined; partNumber = queue.shift()) {
      const part = partNumber;
      const range = ranges[part - 1]!;
      const url = upload.urls[part];
      if (!url) throw new Error(`part ${part} must be sent again, and its link is no longer known: discard this upload and start it again`);
      const etag = await putPart(url, file.slice(range.start, range.end), (sent) => events.sending(part, sent), parts.signal).catch((error: unknown) => {
        throw error instanceof Error && error.name !== 'AbortError' ? new Error(`Part ${part}: ${error.message}`) : error;
      });
      upload.confirmed = { ...upload.confirmed, [part]: etag };
      save();
      events.sent(part);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, () =>
        worker().catch((error: unknown) => {
          parts.abort(error);
          throw error;
        }),
      ),
    );
  } finally {
    signal.removeEventListener('abort', stop);
  }

  try {
    const video = await client.send<UploadedVideo>('POST', `${path()}/complete`, { parts: completionParts(ranges.length, upload.confirmed) }, signal);
    forgetPendingUpload(tenantId, upload.uploadId);
    return video.id;
  } catch (error) {
    if (error instanceof ApiError && UPLOAD_GONE.has(error.status)) forgetPendingUpload(tenantId, upload.uploadId);
    throw error;
  }
}
