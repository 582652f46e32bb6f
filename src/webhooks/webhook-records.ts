// Data access for webhook endpoints, deliveries and their attempts: SQL in, records out. Every
// function takes the connection or transaction to run on. It decides nothing (statuses come from
// the caller), and never returns an endpoint's sealed secret except to the worker that signs.
import type { Queryable, Row } from '../db/database.js';
import type { WebhookEventType } from '../domain/webhook-events.js';
import type { DeliveryAttempt, DeliveryStatus, Page, PageRequest, WebhookDelivery, WebhookEndpoint } from './webhook-types.js';

type EndpointRow = Row & { id: string; tenant_id: string; url: string; event_types: WebhookEventType[] | null; created_at: Date };

type DeliveryRow = Row & {
  id: string;
  endpoint_id: string;
  event_type: WebhookEventType;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  last_response_status: number | null;
  last_error: string | null;
  job_id: string | null;
  created_at: Date;
  delivered_at: Date | null;
  failed_at: Date | null;
};

type AttemptRow = Row & { delivery_id: string; attempt: number; started_at: Date; duration_ms: number; response_status: number | null; error: string | null };

const iso = (value: Date | string) => new Date(value).toISOString();

function endpointOf(row: EndpointRow): WebhookEndpoint {
  return { id: row.id, tenantId: row.tenant_id, url: row.url, eventTypes: row.event_types, createdAt: iso(row.created_at) };
}

function attemptOf(row: AttemptRow): DeliveryAttempt {
  return {
    attempt: row.attempt,
    startedAt: iso(row.started_at),
    durationMs: row.duration_ms,
    ...(row.response_status !== null ? { responseStatus: row.response_status } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
  };
}

function deliveryOf(row: DeliveryRow, log: DeliveryAttempt[]): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    ...(row.last_response_status !== null ? { lastResponseStatus: row.last_response_status } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    createdAt: iso(row.created_at),
    ...(row.delivered_at ? { deliveredAt: iso(row.delivered_at) } : {}),
    ...(row.failed_at ? { failedAt: iso(row.failed_at) } : {}),
    log,
  };
}

/**
 * One page of `table`'s rows whose `scope` column is `value`, newest first by id (ULIDs, so in the
 * order they were made). The cursor is the last id of the previous page; undefined when it is not a
 * row of this scope (a bad cursor).
 */
async function newestById<T extends Row & { id: string }>(
  q: Queryable,
  table: 'webhook_endpoints' | 'webhook_deliveries',
  scope: 'tenant_id' | 'endpoint_id',
  value: string,
  page: PageRequest,
): Promise<Page<T> | undefined> {
  if (page.cursor !== undefined && (await q.query(`SELECT 1 FROM ${table} WHERE id = $1 AND ${scope} = $2`, [page.cursor, value])).length === 0) return undefined;
  const rows = await q.query<T>(`SELECT * FROM ${table} WHERE ${scope} = $1 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`, [value, page.cursor ?? null, page.limit + 1]);
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? items.at(-1)!.id : null };
}

/** Whether the tenant exists; in a transaction, its row is also held (FOR KEY SHARE), so it cannot be deleted before the commit. */
export async function tenantExists(q: Queryable, tenantId: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE', [tenantId])).length === 1;
}

// ---- endpoints

export async function insertEndpoint(q: Queryable, endpoint: { id: string; tenantId: string; url: string; eventTypes: WebhookEventType[] | null; sealedSecret: string }): Promise<WebhookEndpoint> {
  const rows = await q.query<EndpointRow>(
    'INSERT INTO webhook_endpoints (id, tenant_id, url, event_types, secret_ciphertext) VALUES ($1, $2, $3, $4, $5) RETURNING id, tenant_id, url, event_types, created_at',
    [endpoint.id, endpoint.tenantId, endpoint.url, endpoint.eventTypes === null ? null : JSON.stringify(endpoint.eventTypes), endpoint.sealedSecret],
  );
  return endpointOf(rows[0]!);
}

export async function listEndpoints(q: Queryable, tenantId: string, page: PageRequest): Promise<Page<WebhookEndpoint> | undefined> {
  const rows = await newestById<EndpointRow>(q, 'webhook_endpoints', 'tenant_id', tenantId, page);
  return rows && { items: rows.items.map(endpointOf), nextCursor: rows.nextCursor };
}

export async function getEndpoint(q: Queryable, tenantId: string, id: string): Promise<WebhookEndpoint | undefined> {
  const rows = await q.query<EndpointRow>('SELECT id, tenant_id, url, event_types, created_at FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  return rows[0] && endpointOf(rows[0]);
}

/** Deletes the tenant's endpoint and (by cascade) its deliveries; false when it has no such endpoint. */
export async function deleteEndpoint(q: Queryable, tenantId: string, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2 RETURNING id', [id, tenantId])).length === 1;
}

/** The ids of the tenant's endpoints that are sent this event type. */
export async function endpointsSubscribedTo(q: Queryable, tenantId: string, type: WebhookEventType): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    'SELECT id FROM webhook_endpoints WHERE tenant_id = $1 AND (event_types IS NULL OR event_types @> jsonb_build_array($2::text)) ORDER BY id',
    [tenantId, type],
  );
  return rows.map((row) => row.id);
}

// ---- deliveries

export async function insertDelivery(q: Queryable, delivery: { id: string; endpointId: string; tenantId: string; eventType: WebhookEventType; payload: string; jobId: string }): Promise<void> {
  await q.query(
    `INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, event_type, payload, status, job_id) VALUES ($1, $2, $3, $4, $5, 'pending', $6)`,
    [delivery.id, delivery.endpointId, delivery.tenantId, delivery.eventType, delivery.payload, delivery.jobId],
  );
}

/** Each delivery's attempts, newest first. */
async function attemptsOf(q: Queryable, deliveryIds: string[]): Promise<Map<string, DeliveryAttempt[]>> {
  const logs = new Map(deliveryIds.map((id) => [id, [] as DeliveryAttempt[]]));
  if (deliveryIds.length === 0) return logs;
  const rows = await q.query<AttemptRow>(
    'SELECT * FROM webhook_delivery_attempts WHERE delivery_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY delivery_id, attempt DESC',
    [JSON.stringify(deliveryIds)],
  );
  for (const row of rows) logs.get(row.delivery_id)!.push(attemptOf(row));
  return logs;
}

/** A delivery and the job now carrying it (the job id stays inside src/webhooks). */
export type DeliveryRecord = { delivery: WebhookDelivery; jobId: string | null };

export async function listDeliveries(q: Queryable, endpointId: string, page: PageRequest): Promise<Page<DeliveryRecord> | undefined> {
  const rows = await newestById<DeliveryRow>(q, 'webhook_deliveries', 'endpoint_id', endpointId, page);
  if (!rows) return undefined;
  const logs = await attemptsOf(q, rows.items.map((row) => row.id));
  return { items: rows.items.map((row) => ({ delivery: deliveryOf(row, logs.get(row.id)!), jobId: row.job_id })), nextCursor: rows.nextCursor };
}

export async function getDelivery(q: Queryable, endpointId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<DeliveryRecord | undefined> {
  const rows = await q.query<DeliveryRow>(`SELECT * FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2${options.forUpdate ? ' FOR UPDATE' : ''}`, [id, endpointId]);
  const row = rows[0];
  if (!row) return undefined;
  return { delivery: deliveryOf(row, (await attemptsOf(q, [row.id])).get(row.id)!), jobId: row.job_id };
}

/** What an attempt sends, and where: the delivery's body and status, its endpoint's URL and sealed secret, and the job now carrying it. */
export type MessageToSend = { id: string; endpointId: string; url: string; sealedSecret: string; payload: string; status: DeliveryStatus; jobId: string | null };

export async function messageToSend(q: Queryable, deliveryId: string): Promise<MessageToSend | undefined> {
  const rows = await q.query<{ id: string; endpoint_id: string; url: string; secret_ciphertext: string; payload: string; status: DeliveryStatus; job_id: string | null }>(
    `SELECT d.id, d.endpoint_id, e.url, e.secret_ciphertext, d.payload, d.status, d.job_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1`,
    [deliveryId],
  );
  const row = rows[0];
  return row && { id: row.id, endpointId: row.endpoint_id, url: row.url, sealedSecret: row.secret_ciphertext, payload: row.payload, status: row.status, jobId: row.job_id };
}

/**
 * Records an attempt in the log and counts it; the delivery's status and last answer change only
 * when `jobId` still carries it (a redelivery may have replaced the job meanwhile). Resolves with
 * the attempt's number, or undefined when the delivery is gone (its endpoint was deleted).
 */
export async function recordAttempt(
  q: Queryable,
  attempt: { deliveryId: string; jobId: string; status: DeliveryStatus; startedAt: Date; durationMs: number; responseStatus?: number; error?: string },
): Promise<number | undefined> {
  const rows = await q.query<{ attempt: number }>(
    `WITH delivery AS (
       UPDATE webhook_deliveries SET attempts = attempts + 1,
         status = CASE WHEN job_id = $2 THEN $3 ELSE status END,
         last_response_status = CASE WHEN job_id = $2 THEN $6::integer ELSE last_response_status END,
         last_error = CASE WHEN job_id = $2 THEN $7::text ELSE last_error END,
         delivered_at = CASE WHEN job_id = $2 AND $3 = 'delivered' THEN now() ELSE delivered_at END,
         failed_at = CASE WHEN job_id = $2 AND $3 = 'failed' THEN now() ELSE failed_at END
       WHERE id = $1 RETURNING attempts)
     INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, response_status, error)
     SELECT $1, attempts, $4, $5, $6::integer, $7::text FROM delivery RETURNING attempt`,
    [attempt.deliveryId, attempt.jobId, attempt.status, attempt.startedAt.toISOString(), attempt.durationMs, attempt.responseStatus ?? null, attempt.error ?? null],
  );
  return rows[0]?.attempt;
}

/** Ends a delivery still pending under `jobId` as failed (its job ran out of attempts without recording the last one). */
export async function failDelivery(q: Queryable, id: string, jobId: string, error: string): Promise<boolean> {
  const rows = await q.query(
    `UPDATE webhook_deliveries SET status = 'failed', failed_at = now(), last_error = COALESCE(last_error, $3) WHERE id = $1 AND job_id = $2 AND status = 'pending' RETURNING id`,
    [id, jobId, error],
  );
  return rows.length === 1;
}

/** Hands the delivery to a new job (a redelivery): pending again, under the same id. */
export async function replaceDeliveryJob(q: Queryable, id: string, jobId: string): Promise<void> {
  await q.query(`UPDATE webhook_deliveries SET job_id = $2, status = 'pending', failed_at = NULL WHERE id = $1`, [id, jobId]);
}
