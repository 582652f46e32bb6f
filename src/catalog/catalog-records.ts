// Data access for the catalog: videos (with their tombstones) and thumbnail files, SQL in, records
// out. Every function takes the connection or transaction to run on. It decides nothing: each
// write says what it changed (a transition's previous status, whether a row was live), so the
// caller decides what to announce; it never reads the object store.
import type { Queryable, Row } from '../db/database.js';
import type { ThumbnailFormat } from '../domain/video-layout.js';
import { listItemOf, type CatalogPage, type CatalogThumbnail, type CatalogVideo, type VideoListItem, type VideoOutputs, type VideoStatus } from './catalog-types.js';

type VideoRow = Row & {
  tenant_id: string;
  id: string;
  name: string;
  key: string;
  status: VideoStatus;
  size: number;
  content_type: string;
  created_at: Date;
  ready_at: Date | null;
  duration_seconds: number | null;
  width: number | null;
  height: number | null;
  codec: string | null;
  error: string | null;
  output_format: ThumbnailFormat | null;
  output_widths: number[] | null;
  poster_at_seconds: number | null;
  poster_score: number | null;
  storyboard_sheets: number | null;
  has_preview: boolean;
  deleted_at: Date | null;
  recorded_at: Date;
};

type ThumbnailRow = Row & { video_id: string; key: string; width: number; size: number; created_at: Date };

const iso = (value: Date) => value.toISOString();

function videoOf(row: VideoRow): CatalogVideo {
  const outputs: VideoOutputs | undefined =
    row.output_format && row.output_widths && row.poster_at_seconds !== null
      ? {
          format: row.output_format,
          widths: row.output_widths,
          poster: { atSeconds: row.poster_at_seconds, score: row.poster_score },
          ...(row.storyboard_sheets !== null && { storyboardSheets: row.storyboard_sheets }),
          preview: row.has_preview,
        }
      : undefined;
  return {
    tenantId: row.tenant_id,
    id: row.id,
    name: row.name,
    key: row.key,
    status: row.status,
    size: row.size,
    contentType: row.content_type,
    createdAt: iso(row.created_at),
    ...(row.ready_at && { readyAt: iso(row.ready_at) }),
    ...(row.duration_seconds !== null && { durationSeconds: row.duration_seconds }),
    ...(row.width !== null && { width: row.width }),
    ...(row.height !== null && { height: row.height }),
    ...(row.codec !== null && { codec: row.codec }),
    ...(row.error !== null && { error: row.error }),
    ...(outputs && { outputs }),
  };
}

function thumbnailOf(row: ThumbnailRow): CatalogThumbnail {
  return { videoId: row.video_id, key: row.key, width: row.width, size: row.size, createdAt: iso(row.created_at) };
}

// ---- tenants, as the catalog sees them

/** The tenant whose bucket this is, if any. */
export async function tenantOfBucket(q: Queryable, bucket: string): Promise<string | undefined> {
  const rows = await q.query<{ id: string }>(`SELECT id FROM tenants WHERE outputs->>'bucket' = $1`, [bucket]);
  return rows[0]?.id;
}

/** Every tenant whose bucket exists and is not being removed: what the reconcile compares. */
export async function tenantBuckets(q: Queryable): Promise<Array<{ tenantId: string; bucket: string }>> {
  const rows = await q.query<{ id: string; bucket: string }>(
    `SELECT id, outputs->>'bucket' AS bucket FROM tenants WHERE outputs->>'bucket' IS NOT NULL AND status NOT IN ('provisioning', 'deleting') ORDER BY id`,
  );
  return rows.map((row) => ({ tenantId: row.id, bucket: row.bucket }));
}

// ---- videos

export type NewVideo = { tenantId: string; id: string; name: string; key: string; size: number; contentType: string; createdAt: string };

/**
 * Records a video as pending. From an upload, the upload's name and type win over what an event
 * recorded first; from the store, an existing row is left as it is. A tombstone is never revived.
 * Resolves with the row as it now is, or undefined when the video was deleted.
 */
export async function recordVideo(q: Queryable, video: NewVideo, source: 'upload' | 'store'): Promise<CatalogVideo | undefined> {
  const onConflict =
    source === 'upload'
      ? 'DO UPDATE SET name = EXCLUDED.name, content_type = EXCLUDED.content_type, size = EXCLUDED.size WHERE videos.deleted_at IS NULL'
      : 'DO NOTHING';
  await q.query(
    `INSERT INTO videos (tenant_id, id, name, key, status, size, content_type, created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)
     ON CONFLICT (tenant_id, id) ${onConflict}`,
    [video.tenantId, video.id, video.name, video.key, video.size, video.contentType, video.createdAt],
  );
  return getVideo(q, video.tenantId, video.id);
}

/** A live video (no tombstone). */
export async function getVideo(q: Queryable, tenantId: string, id: string): Promise<CatalogVideo | undefined> {
  const rows = await q.query<VideoRow>('SELECT * FROM videos WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL', [tenantId, id]);
  return rows[0] && videoOf(rows[0]);
}

/** Whether the catalog knows the video: live, deleted (a tombstone), or not at all. */
export async function videoState(q: Queryable, tenantId: string, id: string): Promise<'live' | 'deleted' | 'unknown'> {
  const rows = await q.query<{ deleted: boolean }>('SELECT deleted_at IS NOT NULL AS deleted FROM videos WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  if (!rows[0]) return 'unknown';
  return rows[0].deleted ? 'deleted' : 'live';
}

/** What meta.json says, as the ready video records it. */
export type ReadyVideo = {
  /** The regeneration its run was (null: the upload's own run); only the one the video waits for counts. */
  regeneration: string | null;
  readyAt: string;
  durationSeconds: number | null;
  width: number;
  height: number;
  codec: string;
  outputs: VideoOutputs;
};

/** A live video after a status change, and the status it had before (the caller announces a transition). */
export type Transition = { video: CatalogVideo; previous: VideoStatus };

const transitionOf = (row: (VideoRow & { previous_status: VideoStatus }) | undefined): Transition | undefined =>
  row && { video: videoOf(row), previous: row.previous_status };

/**
 * Marks a live video ready with its metadata and outputs, when they come from the run it waits for
 * (the same regeneration, or none on both sides); undefined otherwise. The same run's meta.json
 * again replaces what it recorded.
 */
export async function markReady(q: Queryable, tenantId: string, id: string, ready: ReadyVideo): Promise<Transition | undefined> {
  const { outputs } = ready;
  const rows = await q.query<VideoRow & { previous_status: VideoStatus }>(
    `WITH previous AS (SELECT tenant_id, id, status FROM videos WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL
                         AND regeneration IS NOT DISTINCT FROM $14 FOR UPDATE)
     UPDATE videos v SET status = 'ready', error = NULL, ready_at = $3, duration_seconds = $4, width = $5, height = $6, codec = $7,
       output_format = $8, output_widths = $9, poster_at_seconds = $10, poster_score = $11, storyboard_sheets = $12, has_preview = $13
     FROM previous p WHERE v.tenant_id = p.tenant_id AND v.id = p.id
     RETURNING v.*, p.status AS previous_status`,
    [
      tenantId,
      id,
      ready.readyAt,
      ready.durationSeconds,
      ready.width,
      ready.height,
      ready.codec,
      outputs.format,
      JSON.stringify(outputs.widths),
      outputs.poster.atSeconds,
      outputs.poster.score,
      outputs.storyboardSheets ?? null,
      outputs.preview,
      ready.regeneration,
    ],
  );
  return transitionOf(rows[0]);
}

/**
 * Marks a live video failed with the reason, when the failure is of the run it waits for (the
 * regeneration, or null for the upload's own run): from any status but ready (a success stands),
 * or only from pending (a recorded failure keeps its own reason).
 */
export async function markFailed(
  q: Queryable,
  tenantId: string,
  id: string,
  failure: { reason: string; regeneration: string | null },
  from: 'not-ready' | 'pending',
): Promise<Transition | undefined> {
  const rows = await q.query<VideoRow & { previous_status: VideoStatus }>(
    `WITH previous AS (SELECT tenant_id, id, status FROM videos WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL
                         AND status ${from === 'pending' ? "= 'pending'" : "<> 'ready'"} AND regeneration IS NOT DISTINCT FROM $4 FOR UPDATE)
     UPDATE videos v SET status = 'failed', error = $3 FROM previous p WHERE v.tenant_id = p.tenant_id AND v.id = p.id
     RETURNING v.*, p.status AS previous_status`,
    [tenantId, id, failure.reason, failure.regeneration],
  );
  return transitionOf(rows[0]);
}

/**
 * A ready or failed live video waits for the run of `regeneration`: pending again, its error
 * cleared, the last run's outputs kept (they are in the bucket until the new run replaces them).
 * Undefined when it is not live, or pending (a run is on its way already).
 */
export async function markRegenerating(q: Queryable, tenantId: string, id: string, regeneration: string): Promise<Transition | undefined> {
  const rows = await q.query<VideoRow & { previous_status: VideoStatus }>(
    `WITH previous AS (SELECT tenant_id, id, status FROM videos WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL AND status <> 'pending' FOR UPDATE)
     UPDATE videos v SET status = 'pending', error = NULL, regeneration = $3 FROM previous p WHERE v.tenant_id = p.tenant_id AND v.id = p.id
     RETURNING v.*, p.status AS previous_status`,
    [tenantId, id, regeneration],
  );
  return transitionOf(rows[0]);
}

/** A tombstone just set: the video as it was, and the thumbnail rows that went with it. */
export type Tombstone = { video: CatalogVideo; thumbnails: CatalogThumbnail[] };

/**
 * Turns a live video into a tombstone and drops its thumbnail rows, in one statement; resolves
 * with what it removed, or undefined when the video was not live (unknown, or deleted already).
 * With `key`, only when the row is that object's.
 */
export async function tombstoneVideo(q: Queryable, tenantId: string, id: string, key?: string): Promise<Tombstone | undefined> {
  const rows = await q.query<VideoRow & { dropped: ThumbnailRow[] }>(
    `WITH tombstone AS (
       UPDATE videos SET deleted_at = now() WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL AND ($3::text IS NULL OR key = $3) RETURNING *
     ), dropped AS (
       DELETE FROM thumbnails t USING tombstone WHERE t.tenant_id = tombstone.tenant_id AND t.video_id = tombstone.id RETURNING t.*
     )
     SELECT tombstone.*, (SELECT COALESCE(jsonb_agg(to_jsonb(dropped)), '[]'::jsonb) FROM dropped) AS dropped FROM tombstone`,
    [tenantId, id, key ?? null],
  );
  const row = rows[0];
  return row && { video: videoOf(row), thumbnails: row.dropped.map((thumbnail) => thumbnailOf({ ...thumbnail, created_at: new Date(thumbnail.created_at) })) };
}

/** Takes back a tombstone `tombstoneVideo` set (the video's objects could not be removed), its thumbnail rows with it. */
export async function reviveVideo(q: Queryable, tenantId: string, tombstone: Tombstone): Promise<void> {
  await q.query('UPDATE videos SET deleted_at = NULL WHERE tenant_id = $1 AND id = $2', [tenantId, tombstone.video.id]);
  for (const thumbnail of tombstone.thumbnails) await recordThumbnail(q, tenantId, thumbnail);
}

/** The columns a list item needs. */
const LIST_COLUMNS = 'tenant_id, id, name, key, status, size, content_type, created_at, ready_at, duration_seconds, width, height';

/** The tenant's live videos, newest first (ids are ULIDs); undefined for a cursor that is not one of its videos. */
export async function listVideos(q: Queryable, tenantId: string, page: { status?: VideoStatus; limit: number; cursor?: string }): Promise<CatalogPage<VideoListItem> | undefined> {
  if (page.cursor !== undefined && (await q.query('SELECT 1 FROM videos WHERE tenant_id = $1 AND id = $2', [tenantId, page.cursor])).length === 0) return undefined;
  const params: unknown[] = [tenantId, page.limit + 1];
  const where = ['tenant_id = $1', 'deleted_at IS NULL'];
  // Only the conditions asked for, so the plan walks the index that matches them.
  if (page.status !== undefined) where.push(`status = $${params.push(page.status)}`);
  if (page.cursor !== undefined) where.push(`id < $${params.push(page.cursor)}`);
  const rows = await q.query<VideoRow>(`SELECT ${LIST_COLUMNS} FROM videos WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $2`, params);
  const items = rows.slice(0, page.limit).map((row) => listItemOf(videoOf(row)));
  return { items, nextCursor: rows.length > page.limit ? items.at(-1)!.id : null };
}

// ---- thumbnails

/**
 * Records a thumbnail file of a live video; false (nothing written) when the video is unknown or a
 * tombstone. So every row is a live video's, and listing them needs no join.
 */
export async function recordThumbnail(q: Queryable, tenantId: string, thumbnail: CatalogThumbnail): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO thumbnails (tenant_id, key, video_id, width, size, created_at)
     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM videos WHERE tenant_id = $1 AND id = $3 AND deleted_at IS NULL)
     ON CONFLICT (tenant_id, key) DO UPDATE SET size = EXCLUDED.size, created_at = EXCLUDED.created_at
     RETURNING key`,
    [tenantId, thumbnail.key, thumbnail.videoId, thumbnail.width, thumbnail.size, thumbnail.createdAt],
  );
  return rows.length === 1;
}

export async function dropThumbnail(q: Queryable, tenantId: string, key: string): Promise<void> {
  await q.query('DELETE FROM thumbnails WHERE tenant_id = $1 AND key = $2', [tenantId, key]);
}

/** A page of the tenant's thumbnail files (all of live videos), in key order (oldest video first), after `afterKey`. */
export async function listThumbnails(q: Queryable, tenantId: string, page: { limit: number; afterKey?: string }): Promise<{ items: CatalogThumbnail[]; more: boolean }> {
  const params: unknown[] = [tenantId, page.limit + 1];
  const after = page.afterKey === undefined ? '' : `AND key > $${params.push(page.afterKey)}`;
  const rows = await q.query<ThumbnailRow>(`SELECT video_id, key, width, size, created_at FROM thumbnails WHERE tenant_id = $1 ${after} ORDER BY key LIMIT $2`, params);
  return { items: rows.slice(0, page.limit).map(thumbnailOf), more: rows.length > page.limit };
}

// ---- what the reconcile compares

export type RecordedVideo = { id: string; key: string; status: VideoStatus; deletedAt?: Date; recordedAt: Date };
export type RecordedThumbnail = { key: string; recordedAt: Date };

/** Every row of the tenant: videos (tombstones too) and thumbnail files, with when each was written. */
export async function tenantCatalog(q: Queryable, tenantId: string): Promise<{ videos: RecordedVideo[]; thumbnails: RecordedThumbnail[] }> {
  const [videos, thumbnails] = [
    await q.query<{ id: string; key: string; status: VideoStatus; deleted_at: Date | null; recorded_at: Date }>(
      'SELECT id, key, status, deleted_at, recorded_at FROM videos WHERE tenant_id = $1',
      [tenantId],
    ),
    await q.query<{ key: string; recorded_at: Date }>('SELECT key, recorded_at FROM thumbnails WHERE tenant_id = $1', [tenantId]),
  ];
  return {
    videos: videos.map((row) => ({ id: row.id, key: row.key, status: row.status, ...(row.deleted_at && { deletedAt: row.deleted_at }), recordedAt: row.recorded_at })),
    thumbnails: thumbnails.map((row) => ({ key: row.key, recordedAt: row.recorded_at })),
  };
}

/** Removes tombstones (their thumbnail rows went with the video). */
export async function purgeTombstones(q: Queryable, tenantId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query('DELETE FROM videos WHERE tenant_id = $1 AND id IN (SELECT jsonb_array_elements_text($2::jsonb)) AND deleted_at IS NOT NULL', [tenantId, JSON.stringify(ids)]);
}

/** The database's clock: what rows' recorded_at is compared with. */
export async function databaseNow(q: Queryable): Promise<Date> {
  const rows = await q.query<{ now: Date }>('SELECT now() AS now');
  return rows[0]!.now;
}
