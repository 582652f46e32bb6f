// Applies the migrations this build knows and the database lacks, in order, each in its own
// transaction under one advisory lock, so replicas starting at once all succeed and each migration
// runs exactly once. It never edits or skips one, and leaves alone versions newer than its own.
import type { Database, Queryable } from './database.js';
import { MIGRATIONS, type Migration } from './migrations.js';

const LOCK_NAME = 'thumbforge.schema_migrations';

async function applyUnlessApplied(tx: Queryable, migration: Migration): Promise<boolean> {
  // Held to the end of the transaction; taken before the table exists, so its creation is serialized too.
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_NAME]);
  await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const applied = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
  if (applied.length > 0) return false;
  await tx.query(migration.sql);
  await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
  return true;
}

/** Resolves with the versions this call applied (none when another replica got there first). */
export async function migrate(db: Database): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (await db.transaction((tx) => applyUnlessApplied(tx, migration))) applied.push(migration.version);
  }
  return applied;
}
