// The one database interface the service uses, over PGlite (embedded, under `<dataDir>/db`) or a
// PostgreSQL server (`postgres://…`). Nothing outside src/db talks to PGlite or `pg` directly.
import { join } from 'node:path';
import type { ConstructorOptions, Db } from 'pg-boss';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';

export type Row = Record<string, unknown>;

/**
 * Rows come back the same from both backends: json/jsonb parsed, timestamptz as Date, int8 (and
 * count(*)) as a number (a bigint beyond 2^53), date as its 'YYYY-MM-DD' text, numeric as text.
 * Pass a jsonb parameter as `JSON.stringify(value)` (`pg` would send a JS array as a Postgres array).
 */
export interface Queryable {
  /**
   * With params: one statement. Without: may hold several (simple protocol); rows are the last one's.
   * `prepared` names a statement sent on (nearly) every request: postgres prepares it once per
   * connection (PGlite ignores it). Under one name the text never changes, and it lists its
   * columns (no `*`: a later migration must not change a prepared result).
   */
  query<T extends Row = Row>(text: string, params?: unknown[], prepared?: string): Promise<T[]>;
}

/** How pg-boss reaches this database: the options it is constructed with. */
export type JobEngineConnection = Pick<ConstructorOptions, 'backend' | 'db' | 'connectionString' | 'application_name'>;

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs work in one transaction (BEGIN/COMMIT, ROLLBACK on throw). Inside it, every query must
   * go through `tx`: PGlite has one connection, so a query on the outer database waits for the
   * transaction to end, which waits for that query: a deadlock.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a channel (a lowercase SQL identifier); returns an unlisten function. On postgres one
   * connection carries every channel and reconnects on its own (re-LISTEN), then calls onReconnect
   * so callers can re-read what they may have missed.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  jobEngineConnection(): JobEngineConnection;
  /** Reachability probe for /readyz: resolves true/false within timeoutMs, never throws. */
  ping(timeoutMs: number): Promise<boolean>;
  /** Idempotent. Stop the job engine first: it may still be using this database. */
  close(): Promise<void>;
}

export type DatabaseOptions = {
  /** Unset: PGlite under `<dataDir>/db`. */
  url?: string;
  dataDir: string;
  applicationName?: string;
  /** Connection errors the database recovers from on its own (postgres: a server restart). */
  onConnectionError?: (error: Error) => void;
};

/** pg-boss's IDatabase over a transaction, so a job is sent in the caller's transaction (`send(..., { db: asJobDb(tx) })`). */
export function asJobDb(q: Queryable): Db {
  return { executeSql: async (text, values) => ({ rows: await q.query(text, values) }) };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url === undefined) return openPgliteDatabase(join(options.dataDir, 'db'));
  if (!/^postgres(ql)?:\/\//.test(options.url)) throw new Error('the database URL must start with postgres:// or postgresql://');
  return openPostgresDatabase(options.url, { applicationName: options.applicationName ?? 'thumbforge', onConnectionError: options.onConnectionError ?? (() => {}) });
}
