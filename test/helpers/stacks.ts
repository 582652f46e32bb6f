// Test fixture for tenants on the local target: a real versitygw, a temp data dir with its file
// backend, a fixed test passphrase, and one replica's tenant side on a real database and job
// engine. Everything is stopped and removed by the test.
import type { Test } from 'tap';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { LocalObjectStore } from '../../src/local/object-store.js';
import { startTestStore, tempDir, testS3Client } from './local-store.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { PgBoss } from 'pg-boss';
import type { LocalTarget } from '../../src/stacks/tenant-target.js';
import { createTenantStacks, type TenantStacks } from '../../src/stacks/index.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createJobEngine } from '../../src/db/job-engine.js';
import { isFinished } from '../../src/domain/tenant-lifecycle.js';
import { startTenantOperations, type TenantOperations, type TenantOperationsOptions } from '../../src/tenants/tenant-operations.js';
import type { TenantLifecycle } from '../../src/tenants/tenant-types.js';

export const TEST_PASSPHRASE = 'thumbforge-test-passphrase';
/** Where a fixture child process finds its input, secrets included: never on argv, which `ps` shows. */
export const FIXTURE_INPUT_ENV = 'THUMBFORGE_FIXTURE_INPUT';

export async function localTestTarget(t: Test) {
  const store = await startTestStore(t);
  const dataDir = await tempDir(t, 'thumbforge-stacks-');
  const target: LocalTarget = { kind: 'local', connection: store.connection, passphrase: TEST_PASSPHRASE };
  return { store, dataDir, target };
}

/**
 * Waits until `check` holds, polling; fails the wait with `what` after the deadline. The deadline
 * catches a hang and is never a measure of speed: engine runs on two loaded cores stay far inside it.
 */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 300_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether the store has the bucket; any failure to reach it counts as no. */
export function bucketExists(store: LocalObjectStore, name: string): Promise<boolean> {
  return testS3Client(store).send(new HeadBucketCommand({ Bucket: name })).then(
    () => true,
    () => false,
  );
}

export const quietLogger = { info() {}, warn() {}, error() {} };

export type TestTenantsOptions = {
  maxConcurrentOperations?: number;
  operationTimeoutSeconds?: number;
  heartbeatSeconds?: number;
  replicaId?: string;
  /** A shared database (a PostgreSQL URL); otherwise PGlite under the data dir. */
  databaseUrl?: string;
  /** Defaults to once a year (1 January), so no test meets a scheduled check it did not ask for. */
  driftCheckCron?: string;
  logger?: TenantOperationsOptions['logger'];
  metrics?: TenantOperationsOptions['metrics'];
};

export type TestTenants = TenantOperations & { db: Database; boss: PgBoss; stacks: TenantStacks; close(): Promise<void> };

/**
 * One replica's tenant side on the local target, with the real engine, database and job engine.
 * `close` stops the workers with no grace, then the job engine and the database.
 */
export async function openTenantsReplica(env: { dataDir: string; target: LocalTarget }, options: TestTenantsOptions = {}): Promise<TestTenants> {
  const replicaId = options.replicaId ?? `test-${process.pid}`;
  const db = await openDatabase({ url: options.databaseUrl, dataDir: env.dataDir });
  await migrate(db);
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;
  const boss = await createJobEngine({ db, replicaId, heartbeatSeconds, logger: options.logger ?? quietLogger });
  const stacks = createTenantStacks({ target: env.target, dataDir: env.dataDir, scratchDir: join(env.dataDir, 'scratch', replicaId) });
  const operations = await startTenantOperations({
    db,
    boss,
    stacks,
    replica: { id: replicaId, host: hostname() },
    heartbeatSeconds,
    operationTimeoutSeconds: options.operationTimeoutSeconds ?? 300,
    maxConcurrentOperations: options.maxConcurrentOperations ?? 4,
    driftCheckCron: options.driftCheckCron ?? '0 0 1 1 *',
    logger: options.logger ?? quietLogger,
    metrics: options.metrics,
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await operations.stop(0);
      await boss.stop({ graceful: false, close: true, timeout: 5_000 });
      await db.close();
    })());
  return { ...operations, db, boss, stacks, close };
}

/** A replica closed by the test. */
export async function openTestTenants(t: Test, env: { dataDir: string; target: LocalTarget }, options: TestTenantsOptions = {}): Promise<TestTenants> {
  const replica = await openTenantsReplica(env, options);
  t.teardown(() => replica.close());
  return replica;
}

/** Resolves with the operation once it has finished. */
export function finished(tenants: Pick<TenantLifecycle, 'operation'>, operationId: string) {
  return eventually(async () => {
    const operation = await tenants.operation(operationId);
    return operation && isFinished(operation.status) ? operation : undefined;
  }, `operation ${operationId} to finish`, 300_000);
}
