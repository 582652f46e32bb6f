// Data access for direct uploads: SQL in, records out. Every function takes the connection or
// transaction to run on. It decides nothing: the workflow checks the cap and the statuses; a
// status change reports whether it landed (only an open upload completes or aborts).
import type { Queryable, Row } from '../../db/database.js';

export type UploadStatus = 'open' | 'completed' | 'aborted';

export type UploadRecord = {
  id: string;
  tenantId: string;
  videoId: string;
  /** Where the multipart upload is staged (`uploads/<id>`). */
  objectKey: string;
  fileName: string;
  declaredSize: number;
  partSize: number;
  /** This video's own thumbnail time, as the text form `parseFrameAt` reads. */
  at?: string;
  /** The store's multipart upload id; absent until the store has answered the create. */
  multipartUploadId?: string;
  status: UploadStatus;
  /** Once completed: the video it became. */
  video?: { key: string; size: number; contentType: string };
  createdAt: string;
  expiresAt: string;
  /** Whether the expiry has passed, by the database's clock (the one every replica shares). */
  expired: boolean;
};

type UploadRow = Row & {
  id: string;
  tenant_id: string;
  video_id: string;
  object_key: string;
  file_name: string;
  declared_size: number;
  part_size: number;
  frame_at: string | null;
  multipart_upload_id: string | null;
  status: UploadStatus;
  video_key: string | null;
  size: number | null;
  content_type: string | null;
  created_at: Date;
  expires_at: Date;
  expired: boolean;
};

const COLUMNS = '*, expires_at <= now() AS expired';

function uploadOf(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    videoId: row.video_id,
    objectKey: row.object_key,
    fileName: row.file_name,
    declaredSize: row.declared_size,
    partSize: row.part_size,
    ...(row.frame_at !== null && { at: row.frame_at }),
    ...(row.multipart_upload_id !== null && { multipartUploadId: row.multipart_upload_id }),
    status: row.status,
    ...(row.video_key !== null && { video: { key: row.video_key, size: row.size ?? 0, contentType: row.content_type ?? '' } }),
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    expired: row.expired,
  };
}

/** Serializes, until the transaction ends, every other transaction counting or adding this tenant's uploads. */
export async function lockTenantUploads(tx: Queryable, tenantId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`thumbforge.uploads:${tenantId}`]);
}

/** The tenant's open, unexpired uploads, and in how many seconds the first of them expires (0 with none). */
export async function openUploads(q: Queryable, tenantId: string): Promise<{ count: number; firstExpirySeconds: number }> {
  const [row] = await q.query<{ count: number; first: number | null }>(
    `SELECT count(*) AS count, extract(epoch FROM min(expires_at) - now())::float8 AS first
       FROM uploads WHERE tenant_id = $1 AND status = 'open' AND expires_at > now()`,
    [tenantId],
  );
  return { count: row!.count, firstExpirySeconds: Math.max(0, row!.first ?? 0) };
}

/** The expiry is kept to the millisecond, as a JavaScript Date (the expiry job's start) holds it. */
export async function insertUpload(
  q: Queryable,
  upload: { id: string; tenantId: string; videoId: string; objectKey: string; fileName: string; declaredSize: number; partSize: number; at?: string; expirySeconds: number },
): Promise<UploadRecord> {
  const [row] = await q.query<UploadRow>(
    `INSERT INTO uploads (id, tenant_id, video_id, object_key, file_name, declared_size, part_size, frame_at, status, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', date_trunc('milliseconds', now() + make_interval(secs => $9))) RETURNING ${COLUMNS}`,
    [upload.id, upload.tenantId, upload.videoId, upload.objectKey, upload.fileName, upload.declaredSize, upload.partSize, upload.at ?? null, upload.expirySeconds],
  );
  return uploadOf(row!);
}

export async function setMultipartUploadId(q: Queryable, id: string, multipartUploadId: string): Promise<void> {
  await q.query('UPDATE uploads SET multipart_upload_id = $2 WHERE id = $1', [id, multipartUploadId]);
}

/** The upload, any status; with `tenantId`, only when it is that tenant's. */
export async function getUpload(q: Queryable, id: string, tenantId?: string): Promise<UploadRecord | undefined> {
  const rows = await q.query<UploadRow>(
    `SELECT ${COLUMNS} FROM uploads WHERE id = $1${tenantId === undefined ? '' : ' AND tenant_id = $2'}`,
    tenantId === undefined ? [id] : [id, tenantId],
  );
  return rows[0] && uploadOf(rows[0]);
}

/** Records the video an open upload became; undefined (nothing written) when it is not open any more. */
export async function completeUpload(q: Queryable, id: string, video: { key: string; size: number; contentType: string }): Promise<UploadRecord | undefined> {
  const rows = await q.query<UploadRow>(
    `UPDATE uploads SET status = 'completed', video_key = $2, size = $3, content_type = $4, finished_at = now()
      WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
    [id, video.key, video.size, video.contentType],
  );
  return rows[0] && uploadOf(rows[0]);
}

/** Marks an open upload aborted; false (nothing written) when it is not open. */
export async function abortUpload(q: Queryable, id: string): Promise<boolean> {
  const rows = await q.query(`UPDATE uploads SET status = 'aborted', finished_at = now() WHERE id = $1 AND status = 'open' RETURNING id`, [id]);
  return rows.length === 1;
}
