// Data access for tenants, their keys, operations and engine events: SQL in, records out. Every
// function takes the connection or transaction to run on, so callers compose transactions. It
// decides nothing: statuses come from the caller, and a fenced write reports whether it landed.
import type { Queryable, Row } from '../db/database.js';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { OperationKind, OperationStatus, TenantStatus } from '../domain/tenant-lifecycle.js';
import type { ApiKeyRecord, Operation, OperationEvent, Page, PageRequest, Tenant, TenantDrift, TenantOutputs } from './tenant-types.js';

type TenantRow = Row & {
  id: string;
  status: TenantStatus;
  settings: ThumbnailSettings;
  settings_version: number;
  applied_settings_version: number | null;
  outputs: TenantOutputs | null;
  drift: TenantDrift | null;
  created_at: Date;
  updated_at: Date;
  last_operation_id: string | null;
};

type OperationRow = Row & {
  id: string;
  tenant_id: string;
  kind: OperationKind;
  status: OperationStatus;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  attempt: number;
  settings_version: number | null;
  job_id: string | null;
  cancel_requested_at: Date | null;
  error: string | null;
};

type KeyRow = Row & { id: string; prefix: string; created_at: Date; last_used_at: Date | null };

const iso = (value: Date | string) => new Date(value).toISOString();

function tenantOf(row: TenantRow): Tenant {
  return {
    id: row.id,
    status: row.status,
    settings: row.settings,
    settingsVersion: row.settings_version,
    ...(row.applied_settings_version !== null ? { appliedSettingsVersion: row.applied_settings_version } : {}),
    ...(row.outputs ? { outputs: row.outputs } : {}),
    ...(row.drift ? { drift: row.drift } : {}),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    ...(row.last_operation_id ? { lastOperationId: row.last_operation_id } : {}),
  };
}

function operationOf(row: OperationRow): Operation {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    status: row.status,
    createdAt: iso(row.created_at),
    ...(row.started_at ? { startedAt: iso(row.started_at) } : {}),
    ...(row.finished_at ? { finishedAt: iso(row.finished_at) } : {}),
    attempt: row.attempt,
    ...(row.settings_version !== null ? { settingsVersion: row.settings_version } : {}),
    ...(row.cancel_requested_at ? { cancelRequestedAt: iso(row.cancel_requested_at) } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

function keyOf(row: KeyRow): ApiKeyRecord {
  return { id: row.id, prefix: row.prefix, createdAt: iso(row.created_at), ...(row.last_used_at ? { lastUsedAt: iso(row.last_used_at) } : {}) };
}

/**
 * One page of a tenant's rows of `table`, newest first by (created_at, id). The cursor is the id of
 * the last row of the previous page; undefined when that row is not the tenant's (a bad cursor).
 */
async function newestFirst<T extends Row>(q: Queryable, table: 'operations' | 'tenant_keys', where: string, tenantId: string, page: PageRequest): Promise<Page<T> | undefined> {
  const params: unknown[] = [tenantId, page.limit + 1];
  let after = '';
  if (page.cursor !== undefined) {
    const cursor = await q.query(`SELECT 1 FROM ${table} WHERE id = $1 AND tenant_id = $2 AND ${where}`, [page.cursor, tenantId]);
    if (cursor.length === 0) return undefined;
    params.push(page.cursor);
    after = `AND (created_at, id) < (SELECT created_at, id FROM ${table} WHERE id = $3)`;
  }
  const rows = await q.query<T>(`SELECT * FROM ${table} WHERE tenant_id = $1 AND ${where} ${after} ORDER BY created_at DESC, id DESC LIMIT $2`, params);
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? String(items.at(-1)!.id) : null };
}

// ---- tenants

/** Inserts the tenant; false (nothing written) when the id exists. */
export async function insertTenant(q: Queryable, tenant: { id: string; status: TenantStatus; settings: ThumbnailSettings; lastOperationId: string }): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO tenants (id, status, settings, last_operation_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [tenant.id, tenant.status, JSON.stringify(tenant.settings), tenant.lastOperationId],
  );
  return rows.length === 1;
}

export async function getTenant(q: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<Tenant | undefined> {
  const rows = await q.query<TenantRow>(`SELECT * FROM tenants WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] && tenantOf(rows[0]);
}

export async function listTenants(q: Queryable): Promise<Tenant[]> {
  return (await q.query<TenantRow>('SELECT * FROM tenants ORDER BY created_at, id')).map(tenantOf);
}

export type TenantChanges = {
  status?: TenantStatus;
  outputs?: TenantOutputs | null;
  lastOperationId?: string;
  appliedSettingsVersion?: number;
  /** New desired settings: the settings version goes up by one. */
  settings?: ThumbnailSettings;
  drift?: TenantDrift;
};

/** Applies the changes; resolves with the tenant as it now is (undefined when it does not exist). */
export async function updateTenant(q: Queryable, id: string, changes: TenantChanges): Promise<Tenant | undefined> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  const set = (column: string, value: unknown) => {
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  };
  if (changes.status !== undefined) set('status', changes.status);
  if (changes.outputs !== undefined) set('outputs', changes.outputs === null ? null : JSON.stringify(changes.outputs));
  if (changes.lastOperationId !== undefined) set('last_operation_id', changes.lastOperationId);
  if (changes.appliedSettingsVersion !== undefined) set('applied_settings_version', changes.appliedSettingsVersion);
  if (changes.drift !== undefined) set('drift', JSON.stringify(changes.drift));
  if (changes.settings !== undefined) {
    set('settings', JSON.stringify(changes.settings));
    sets.push('settings_version = settings_version + 1');
  }
  const rows = await q.query<TenantRow>(`UPDATE tenants SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING *`, values);
  return rows[0] && tenantOf(rows[0]);
}

export async function deleteTenant(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM tenants WHERE id = $1', [id]);
}

/** The stack's settings file as the engine last left it (the passphrase salt, or an encrypted key). */
export async function stackSettingsOf(q: Queryable, tenantId: string): Promise<Record<string, unknown> | undefined> {
  const rows = await q.query<{ stack_settings: Record<string, unknown> | null }>('SELECT stack_settings FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.stack_settings ?? undefined;
}

// ---- keys

export async function insertKey(q: Queryable, key: { id: string; tenantId: string; hash: string; prefix: string }): Promise<void> {
  await q.query('INSERT INTO tenant_keys (id, tenant_id, hash, prefix) VALUES ($1, $2, $3, $4)', [key.id, key.tenantId, key.hash, key.prefix]);
}

/** A page of the tenant's live keys, newest first; undefined for a cursor that is not one of them. */
export async function listKeys(q: Queryable, tenantId: string, page: PageRequest): Promise<Page<ApiKeyRecord> | undefined> {
  const rows = await newestFirst<KeyRow>(q, 'tenant_keys', 'revoked_at IS NULL', tenantId, page);
  return rows && { items: rows.items.map(keyOf), nextCursor: rows.nextCursor };
}

export async function getKey(q: Queryable, tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
  const rows = await q.query<KeyRow>('SELECT * FROM tenant_keys WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL', [id, tenantId]);
  return rows[0] && keyOf(rows[0]);
}

/** Revokes a live key of the tenant; false (nothing written) when it has no such key. */
export async function revokeKey(q: Queryable, tenantId: string, id: string): Promise<boolean> {
  const rows = await q.query('UPDATE tenant_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL RETURNING id', [id, tenantId]);
  return rows.length === 1;
}

/** The tenant of a live (not revoked) key with this hash; records its use at most once a minute. */
export async function useKey(q: Queryable, hash: string): Promise<string | undefined> {
  const rows = await q.query<{ tenant_id: string }>(
    `WITH key AS (SELECT id, tenant_id, last_used_at FROM tenant_keys WHERE hash = $1 AND revoked_at IS NULL),
          used AS (UPDATE tenant_keys t SET last_used_at = now() FROM key
                   WHERE t.id = key.id AND (key.last_used_at IS NULL OR key.last_used_at < now() - interval '1 minute'))
     SELECT tenant_id FROM key`,
    [hash],
    'use-key',
  );
  return rows[0]?.tenant_id;
}

// ---- operations

export async function insertOperation(q: Queryable, operation: { id: string; tenantId: string; kind: OperationKind; settingsVersion?: number; jobId: string }): Promise<Operation> {
  const rows = await q.query<OperationRow>(
    `INSERT INTO operations (id, tenant_id, kind, status, settings_version, job_id) VALUES ($1, $2, $3, 'queued', $4, $5) RETURNING *`,
    [operation.id, operation.tenantId, operation.kind, operation.settingsVersion ?? null, operation.jobId],
  );
  return operationOf(rows[0]!);
}

export async function getOperation(q: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<Operation | undefined> {
  const rows = await q.query<OperationRow>(`SELECT * FROM operations WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] && operationOf(rows[0]);
}

/** A page of the tenant's operations, newest first; undefined for a cursor that is not one of them. */
export async function listOperations(q: Queryable, tenantId: string, page: PageRequest): Promise<Page<Operation> | undefined> {
  const rows = await newestFirst<OperationRow>(q, 'operations', 'true', tenantId, page);
  return rows && { items: rows.items.map(operationOf), nextCursor: rows.nextCursor };
}

/** The tenant's newest `up` or destroy before `operationId` that was not cancelled, if any. */
export async function operationBefore(q: Queryable, tenantId: string, operationId: string): Promise<Operation | undefined> {
  const rows = await q.query<OperationRow>(
    `SELECT * FROM operations WHERE tenant_id = $1 AND kind IN ('up', 'destroy') AND status <> 'cancelled'
       AND (created_at, id) < (SELECT created_at, id FROM operations WHERE id = $2)
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [tenantId, operationId],
  );
  return rows[0] && operationOf(rows[0]);
}

/** Ends a queued operation as cancelled; resolves with it and its job (undefined when it was not queued). */
export async function dropQueuedOperation(q: Queryable, id: string, error: string): Promise<{ operation: Operation; jobId: string | undefined } | undefined> {
  const rows = await q.query<OperationRow>(
    `UPDATE operations SET status = 'cancelled', error = $2, finished_at = now() WHERE id = $1 AND status = 'queued' RETURNING *`,
    [id, error],
  );
  return rows[0] && { operation: operationOf(rows[0]), jobId: rows[0].job_id ?? undefined };
}

/** Points a queued operation at a newer settings version (changes coalesced into it). */
export async function setOperationSettingsVersion(q: Queryable, id: string, settingsVersion: number): Promise<Operation | undefined> {
  const rows = await q.query<OperationRow>(`UPDATE operations SET settings_version = $2 WHERE id = $1 AND status = 'queued' RETURNING *`, [id, settingsVersion]);
  return rows[0] && operationOf(rows[0]);
}

/** One attempt's hold on an operation: writes carry its fencing token and land only while it is current. */
export type OperationClaim = {
  operation: Operation;
  fencingToken: number;
  /** Who ran the attempt before this one, when this one takes it over. */
  previous?: { replica: string; host: string; startedAt: string };
};

/**
 * Starts an attempt at a queued or running operation: bumps its attempt and fencing token, so any
 * write of an earlier attempt is refused from now on. Undefined when the operation already ended.
 * An earlier attempt (one still `running`, or one handed back to the queue, which keeps its owner)
 * is `previous`: the new one takes the stack over from it.
 */
export async function claimOperation(q: Queryable, id: string, owner: { replica: string; host: string; jobId: string }): Promise<OperationClaim | undefined> {
  const rows = await q.query<OperationRow & { fencing_token: number; previous_replica: string | null; previous_host: string | null; previous_started_at: Date | null }>(
    `WITH previous AS (SELECT id, status, owner_replica, owner_host, started_at FROM operations WHERE id = $1 FOR UPDATE)
     UPDATE operations o SET status = 'running', attempt = o.attempt + 1, fencing_token = o.fencing_token + 1,
       owner_replica = $2, owner_host = $3, job_id = $4, started_at = now()
     FROM previous p WHERE o.id = p.id AND p.status IN ('queued', 'running')
     RETURNING o.*, p.owner_replica AS previous_replica, p.owner_host AS previous_host, p.started_at AS previous_started_at`,
    [id, owner.replica, owner.host, owner.jobId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    operation: operationOf(row),
    fencingToken: row.fencing_token,
    ...(row.previous_replica && row.previous_host && row.previous_started_at
      ? { previous: { replica: row.previous_replica, host: row.previous_host, startedAt: iso(row.previous_started_at) } }
      : {}),
  };
}

/**
 * Gives a running operation back to the queue under the claim (its replica is shutting down): it
 * shows `queued` until another attempt claims it, and that attempt takes the stack over from this one.
 */
export async function requeueOperation(q: Queryable, id: string, fencingToken: number): Promise<boolean> {
  const rows = await q.query(`UPDATE operations SET status = 'queued' WHERE id = $1 AND fencing_token = $2 AND status = 'running' RETURNING id`, [id, fencingToken]);
  return rows.length === 1;
}

/**
 * Whether the claim is still the operation's current attempt, and whether a cancel was asked of
 * it since (the lease guard asks this).
 */
export async function claimState(q: Queryable, id: string, fencingToken: number): Promise<'current' | 'cancel-requested' | 'lost'> {
  const rows = await q.query<{ cancel_requested_at: Date | null }>(
    'SELECT cancel_requested_at FROM operations WHERE id = $1 AND fencing_token = $2 AND status = $3',
    [id, fencingToken, 'running'],
  );
  if (!rows[0]) return 'lost';
  return rows[0].cancel_requested_at ? 'cancel-requested' : 'current';
}

/** Asks the attempt running the operation to end it; undefined when it is not running. */
export async function requestCancel(q: Queryable, id: string): Promise<Operation | undefined> {
  const rows = await q.query<OperationRow>(
    `UPDATE operations SET cancel_requested_at = COALESCE(cancel_requested_at, now()) WHERE id = $1 AND status = 'running' RETURNING *`,
    [id],
  );
  return rows[0] && operationOf(rows[0]);
}

/** Ends the operation under the claim; false when a later attempt has fenced this one out. */
export async function finishOperation(q: Queryable, id: string, fencingToken: number, outcome: { status: OperationStatus; error?: string }): Promise<boolean> {
  const rows = await q.query(
    `UPDATE operations SET status = $3, error = $4, finished_at = now() WHERE id = $1 AND fencing_token = $2 AND status = 'running' RETURNING id`,
    [id, fencingToken, outcome.status, outcome.error ?? null],
  );
  return rows.length === 1;
}

/** Ends an operation no attempt holds (dropped from the queue, or out of attempts). */
export async function abandonOperation(q: Queryable, id: string, outcome: { status: OperationStatus; error: string }): Promise<Operation | undefined> {
  const rows = await q.query<OperationRow>(
    `UPDATE operations SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running') RETURNING *`,
    [id, outcome.status, outcome.error],
  );
  return rows[0] && operationOf(rows[0]);
}

/** Saves the stack's settings file under the claim (the first run creates the salt). */
export async function saveStackSettings(q: Queryable, operationId: string, fencingToken: number, tenantId: string, settings: Record<string, unknown>): Promise<boolean> {
  const rows = await q.query(
    `UPDATE tenants SET stack_settings = $4 WHERE id = $3 AND EXISTS (SELECT 1 FROM operations WHERE id = $1 AND fencing_token = $2 AND status = 'running') RETURNING id`,
    [operationId, fencingToken, tenantId, JSON.stringify(settings)],
  );
  return rows.length === 1;
}

// ---- events

/** Appends events after the operation's last one, under the claim; false when fenced out. */
export async function appendEvents(q: Queryable, operationId: string, fencingToken: number, events: Array<Record<string, unknown>>): Promise<boolean> {
  if (events.length === 0) return true;
  const rows = await q.query(
    `WITH current AS (SELECT id FROM operations WHERE id = $1 AND fencing_token = $2 AND status = 'running'),
          base AS (SELECT COALESCE(MAX(seq), 0) AS seq FROM operation_events WHERE operation_id = $1)
     INSERT INTO operation_events (operation_id, seq, event)
     SELECT $1, base.seq + e.ordinality, e.value FROM current, base, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(value, ordinality)
     RETURNING seq`,
    [operationId, fencingToken, JSON.stringify(events)],
  );
  return rows.length === events.length;
}

export async function eventsAfter(q: Queryable, operationId: string, afterSeq: number, limit = 500): Promise<OperationEvent[]> {
  const rows = await q.query<{ seq: number; at: Date; event: Record<string, unknown> }>(
    'SELECT seq, at, event FROM operation_events WHERE operation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [operationId, afterSeq, limit],
  );
  return rows.map((row) => ({ seq: row.seq, at: iso(row.at), event: row.event }));
}
