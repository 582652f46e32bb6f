// Data access for tenants, their keys, operations and engine events: SQL in, records out. Every
// function takes the connection or transaction to run on, so callers compose transactions. It
// decides nothing: statuses come from the caller, and a fenced write reports whether it landed.
import type { Queryable, Row } from '../db/database.js';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { OperationKind, OperationStatus, TenantStatus } from '../domain/tenant-lifecycle.js';
import type { Operation, OperationEvent, Tenant, TenantOutputs } from './tenant-types.js';

type TenantRow = Row & {
  id: string;
  status: TenantStatus;
  settings: ThumbnailSettings;
  settings_version: number;
  applied_settings_version: number | null;
  outputs: TenantOutputs | null;
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
  error: string | null;
};

const iso = (value: Date | string) => new Date(value).toISOString();

function tenantOf(row: TenantRow): Tenant {
  return {
    id: row.id,
    status: row.status,
    settings: row.settings,
    settingsVersion: row.settings_version,
    ...(row.applied_settings_version !== null ? { appliedSettingsVersion: row.applied_settings_version } : {}),
    ...(row.outputs ? { outputs: row.outputs } : {}),
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
    ...(row.error ? { error: row.error } : {}),
  };
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

export type TenantChanges = { status?: TenantStatus; outputs?: TenantOutputs | null; lastOperationId?: string; appliedSettingsVersion?: number };

export async function updateTenant(q: Queryable, id: string, changes: TenantChanges): Promise<void> {
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
  await q.query(`UPDATE tenants SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, values);
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

/** The tenant of a live (not revoked) key with this hash; records its use at most once a minute. */
export async function useKey(q: Queryable, hash: string): Promise<string | undefined> {
  const rows = await q.query<{ tenant_id: string }>(
    `WITH key AS (SELECT id, tenant_id, last_used_at FROM tenant_keys WHERE hash = $1 AND revoked_at IS NULL),
          used AS (UPDATE tenant_keys t SET last_used_at = now() FROM key
                   WHERE t.id = key.id AND (key.last_used_at IS NULL OR key.last_used_at < now() - interval '1 minute'))
     SELECT tenant_id FROM key`,
    [hash],
  );
  return rows[0]?.tenant_id;
}

// ---- operations

export async function insertOperation(q: Queryable, operation: { id: string; tenantId: string; kind: OperationKind; settingsVersion?: number }): Promise<Operation> {
  const rows = await q.query<OperationRow>(
    `INSERT INTO operations (id, tenant_id, kind, status, settings_version) VALUES ($1, $2, $3, 'queued', $4) RETURNING *`,
    [operation.id, operation.tenantId, operation.kind, operation.settingsVersion ?? null],
  );
  return operationOf(rows[0]!);
}

export async function getOperation(q: Queryable, id: string): Promise<Operation | undefined> {
  const rows = await q.query<OperationRow>('SELECT * FROM operations WHERE id = $1', [id]);
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

/** Whether the claim is still the operation's current attempt (the lease guard asks this). */
export async function claimIsCurrent(q: Queryable, id: string, fencingToken: number): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM operations WHERE id = $1 AND fencing_token = $2 AND status = $3', [id, fencingToken, 'running']);
  return rows.length === 1;
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
