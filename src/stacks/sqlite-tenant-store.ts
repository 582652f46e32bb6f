// The embedded TenantStore: one SQLite file under the data dir (Node's built-in node:sqlite, WAL).
// Writes are synchronous and transactional, so two requests can never both create one tenant.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Operation, OperationEvent, Tenant } from './tenant-service-types.js';
import type { OperationChanges, TenantChanges, TenantStore } from './tenant-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  settings TEXT NOT NULL,
  api_key_hash TEXT NOT NULL,
  outputs TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_operation_id TEXT
);
CREATE TABLE IF NOT EXISTS operations (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS operations_by_status ON operations (status);
CREATE TABLE IF NOT EXISTS operation_events (
  operation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (operation_id, seq)
);
`;

type TenantRow = {
  id: string;
  status: Tenant['status'];
  settings: string;
  api_key_hash: string;
  outputs: string | null;
  created_at: string;
  updated_at: string;
  last_operation_id: string | null;
};

type OperationRow = {
  id: string;
  tenant_id: string;
  kind: Operation['kind'];
  status: Operation['status'];
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
};

function tenantOf(row: TenantRow): Tenant {
  return {
    id: row.id,
    status: row.status,
    settings: JSON.parse(row.settings),
    apiKeyHash: row.api_key_hash,
    ...(row.outputs ? { outputs: JSON.parse(row.outputs) } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.last_operation_id ? { lastOperationId: row.last_operation_id } : {}),
  };
}

function operationOf(row: OperationRow): Operation {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    status: row.status,
    createdAt: row.created_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

/** Column assignments for the given changes; JSON columns are serialised. */
function assignments(changes: Record<string, unknown>, columns: Record<string, string>, json: string[] = []) {
  const entries = Object.entries(changes).filter(([key, value]) => key in columns && value !== undefined);
  return {
    sql: entries.map(([key]) => `${columns[key]} = @${key}`).join(', '),
    values: Object.fromEntries(entries.map(([key, value]) => [key, json.includes(key) ? JSON.stringify(value) : value])) as Record<string, SQLInputValue>,
  };
}

/** Named parameters from a record: an absent value binds NULL, keys the statement lacks are ignored. */
function parameters(record: object): Record<string, SQLInputValue> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, (value ?? null) as SQLInputValue]));
}

function prepared(db: DatabaseSync, sql: string): StatementSync {
  const statement = db.prepare(sql);
  statement.setAllowUnknownNamedParameters(true);
  return statement;
}

/** Runs `work` in one transaction: all of its writes, or none of them. */
function transaction<A extends unknown[], R>(db: DatabaseSync, work: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = work(...args);
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
}

const TENANT_COLUMNS = { status: 'status', settings: 'settings', outputs: 'outputs', lastOperationId: 'last_operation_id' };
const OPERATION_COLUMNS = { status: 'status', startedAt: 'started_at', finishedAt: 'finished_at', error: 'error' };

export function openTenantStore(path: string): TenantStore {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(SCHEMA);

  const insertTenantRow = prepared(db, 
    `INSERT INTO tenants (id, status, settings, api_key_hash, outputs, created_at, updated_at, last_operation_id)
     VALUES (@id, @status, @settings, @apiKeyHash, @outputs, @createdAt, @updatedAt, @lastOperationId)
     ON CONFLICT (id) DO NOTHING`,
  );
  const insertOperationRow = prepared(db, 
    `INSERT INTO operations (id, tenant_id, kind, status, created_at) VALUES (@id, @tenantId, @kind, @status, @createdAt)`,
  );
  const nextSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM operation_events WHERE operation_id = ?');
  const insertEvent = db.prepare('INSERT INTO operation_events (operation_id, seq, at, event) VALUES (?, ?, ?, ?)');

  function updateTenant(id: string, changes: TenantChanges) {
    const { sql, values } = assignments(changes, TENANT_COLUMNS, ['settings', 'outputs']);
    prepared(db, `UPDATE tenants SET ${sql ? `${sql}, ` : ''}updated_at = @updatedAt WHERE id = @id`).run({ ...values, id, updatedAt: new Date().toISOString() });
  }

  return {
    insertTenant: transaction(db, (tenant: Tenant, operation: Operation) => {
      const inserted = insertTenantRow.run(
        parameters({
          ...tenant,
          settings: JSON.stringify(tenant.settings),
          outputs: tenant.outputs ? JSON.stringify(tenant.outputs) : null,
          lastOperationId: operation.id,
        }),
      );
      if (inserted.changes === 0) return false;
      insertOperationRow.run(parameters(operation));
      return true;
    }),
    getTenant(id) {
      const row = db.prepare('SELECT * FROM tenants WHERE id = ?').get(id) as TenantRow | undefined;
      return row && tenantOf(row);
    },
    listTenants() {
      return (db.prepare('SELECT * FROM tenants ORDER BY created_at, id').all() as TenantRow[]).map(tenantOf);
    },
    updateTenant,
    deleteTenant(id) {
      db.prepare('DELETE FROM tenants WHERE id = ?').run(id);
    },
    insertOperation: transaction(db, (operation: Operation, tenantChanges: TenantChanges) => {
      insertOperationRow.run(parameters(operation));
      updateTenant(operation.tenantId, { ...tenantChanges, lastOperationId: operation.id });
    }),
    getOperation(id) {
      const row = db.prepare('SELECT * FROM operations WHERE id = ?').get(id) as OperationRow | undefined;
      return row && operationOf(row);
    },
    updateOperation(id, changes: OperationChanges) {
      const { sql, values } = assignments(changes, OPERATION_COLUMNS);
      if (sql) prepared(db, `UPDATE operations SET ${sql} WHERE id = @id`).run({ ...values, id });
    },
    operationsWithStatus(statuses) {
      const rows = db
        .prepare(`SELECT * FROM operations WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY created_at, id`)
        .all(...statuses) as OperationRow[];
      return rows.map(operationOf);
    },
    appendEvent: transaction(db, (operationId: string, event: Record<string, unknown>): OperationEvent => {
      const seq = Number((nextSeq.get(operationId) as { seq: number }).seq);
      const at = new Date().toISOString();
      insertEvent.run(operationId, seq, at, JSON.stringify(event));
      return { seq, at, event };
    }),
    eventsAfter(operationId, afterSeq) {
      const rows = db
        .prepare('SELECT seq, at, event FROM operation_events WHERE operation_id = ? AND seq > ? ORDER BY seq')
        .all(operationId, afterSeq) as Array<{ seq: number; at: string; event: string }>;
      return rows.map((row) => ({ seq: Number(row.seq), at: row.at, event: JSON.parse(row.event) }));
    },
    close() {
      db.close();
    },
  };
}
