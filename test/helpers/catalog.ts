// Test fixture: the catalog as the service wires it on the local target, without the stacks: a real
// versitygw whose webhook feeds a real function runner (no trigger registered, so it invokes
// nothing) that forwards every record to the catalog in the same transaction, PGlite with the real
// job engine and migrations, one ready tenant row whose bucket is made in the store, and the
// services an app is built with. Everything stops with the test.
import { createServer } from 'node:http';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Test } from 'tap';
import type { PgBoss } from 'pg-boss';
import { pino } from 'pino';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createJobEngine } from '../../src/db/job-engine.js';
import { newApiKey } from '../../src/domain/api-keys.js';
import type { S3Connection } from '../../src/domain/s3-connection.js';
import type { z } from 'zod';
import { thumbnailSettingsSchema } from '../../src/domain/thumbnail-settings.js';
import type { WebhookEvent, WebhookEventSink } from '../../src/domain/webhook-events.js';
import { changesOf, createVideoCatalog, type VideoCatalog } from '../../src/catalog/video-catalog.js';
import { CATALOG_EVENTS_QUEUE } from '../../src/catalog/catalog-queue.js';
import { createFunctionRunner, type FunctionRunner } from '../../src/local/function-runner.js';
import { createObjectStorage, type ObjectStorage } from '../../src/server/storage/object-storage.js';
import type { ServiceDependencies } from '../../src/server/plugins/services.js';
import { appServices } from './app-services.js';
import { getTenant, insertTenant, updateTenant } from '../../src/tenants/tenant-records.js';
import type { Tenant, TenantLifecycle } from '../../src/tenants/tenant-types.js';
import { startTestStore, tempDir, testS3Client } from './local-store.js';
import { eventually } from './stacks.js';

export const TEST_TENANT = 'acme';

/** A webhook sink that keeps what it is handed, in order. */
export function recordingSink(): WebhookEventSink & { events: WebhookEvent[] } {
  const events: WebhookEvent[] = [];
  return { events, publish: async (event) => void events.push(event) };
}

export type CatalogOnDatabase = {
  connection: S3Connection;
  bucket: string;
  db: Database;
  boss: PgBoss;
  catalog: VideoCatalog;
  /** The catalog's store adapter (the one the service gives it). */
  storage: ObjectStorage;
  tenant: Tenant;
  apiKey: string;
  /** What an app is built with: the tenant record (read from the database) and the catalog. */
  services: Promise<ServiceDependencies>;
  /** Resolves once no catalog change waits or runs (after the changes a test awaits have been queued). */
  caughtUp(): Promise<void>;
};

export type TestCatalog = CatalogOnDatabase & { s3: S3Client };

type CatalogOptions = { bucket?: string; settings?: z.input<typeof thumbnailSettingsSchema>; webhooks?: WebhookEventSink; reconcileCron?: string };

/**
 * The catalog and its workers on PGlite with the job engine, one ready tenant row whose bucket is
 * `bucket` in the store at `connection` (which the caller provides, or not: a dead one will do).
 */
export async function openTestCatalog(t: Test, connection: S3Connection, options: CatalogOptions = {}): Promise<CatalogOnDatabase & { dataDir: string }> {
  const bucket = options.bucket ?? 'catalog-test';
  const dataDir = await tempDir(t);
  const db = await openDatabase({ dataDir });
  await migrate(db);
  const quiet = pino({ level: 'silent' });
  const boss = await createJobEngine({ db, replicaId: `catalog-test-${process.pid}`, heartbeatSeconds: 10, logger: quiet });
  const storage = createObjectStorage(connection, { timeoutSeconds: 5 });
  const catalog = await createVideoCatalog({
    db,
    boss,
    store: storage,
    heartbeatSeconds: 10,
    reconcileCron: options.reconcileCron ?? '0 0 1 1 *',
    webhooks: options.webhooks,
    logger: quiet,
  });
  await catalog.startWorkers();
  t.teardown(async () => {
    await catalog.stop();
    await boss.stop({ graceful: false, close: true, timeout: 5_000 });
    storage.close();
    await db.close();
  });

  const settings = thumbnailSettingsSchema.parse({ widths: [96, 160], ...options.settings });
  await insertTenant(db, { id: TEST_TENANT, status: 'ready', settings, lastOperationId: 'none' });
  const outputs = { bucket, bucketArn: `arn:aws:s3:::${bucket}`, functionName: 'f', functionArn: 'arn', region: connection.region };
  const tenant = (await updateTenant(db, TEST_TENANT, { outputs }))!;
  const apiKey = newApiKey(TEST_TENANT);
  const tenants = {
    get: (id: string) => getTenant(db, id),
    authenticate: async (key: string) => (key === apiKey ? TEST_TENANT : undefined),
  } as TenantLifecycle;

  return {
    dataDir,
    connection,
    bucket,
    db,
    boss,
    catalog,
    storage,
    tenant,
    apiKey,
    services: appServices({ tenants, catalog, storage }),
    async caughtUp() {
      await eventually(async () => {
        const jobs = await boss.findJobs(CATALOG_EVENTS_QUEUE, { limit: 100_000 });
        return jobs.every((job) => job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled') || undefined;
      }, 'the catalog to apply every queued change');
    },
  };
}

/** The catalog fed by a real store's events, through a real function runner, as on the local target. */
export async function startTestCatalog(t: Test, options: CatalogOptions = {}): Promise<TestCatalog> {
  let runner: FunctionRunner | undefined;
  // The store posts here; answered only once the records are jobs, as the service's route does.
  const hook = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    try {
      await runner?.accept(JSON.parse(body || 'null'));
      response.statusCode = 200;
    } catch {
      response.statusCode = 503;
    }
    response.end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => hook.close(() => resolve())));
  const store = await startTestStore(t, `http://127.0.0.1:${(hook.address() as { port: number }).port}/events`);
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const fixture = await openTestCatalog(t, store.connection, options);
  await s3.send(new CreateBucketCommand({ Bucket: fixture.bucket }));
  runner = await createFunctionRunner({
    boss: fixture.boss,
    db: fixture.db,
    dataDir: fixture.dataDir,
    connection: store.connection,
    heartbeatSeconds: 10,
    forward: (events, tx) => fixture.catalog.enqueue(changesOf(events), tx),
  });
  await runner.startWorkers();
  // Before the catalog's own teardown (teardowns run last-registered first).
  t.teardown(() => runner?.stop());
  return { ...fixture, s3 };
}
