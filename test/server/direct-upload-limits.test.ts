// What bounds a direct upload, on the real parts (object store, database, job engine) with the
// tenant records given directly (the stacks are not under test here): an upload left open is
// aborted by the expiry job of a live replica, parts and all; the per-tenant cap on open uploads
// holds across two replicas on one PostgreSQL; an unknown or unready tenant, and a store that does
// not answer, are refused with nothing left behind.
import t, { type Test } from 'tap';
import { CreateBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createJobEngine } from '../../src/db/job-engine.js';
import { migrate } from '../../src/db/migrate.js';
import { newApiKey } from '../../src/domain/api-keys.js';
import { TooManyOpenUploads, UploadNotFound } from '../../src/domain/errors.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { STAGED_UPLOAD_PREFIX, stagedUploadKey } from '../../src/domain/video-layout.js';
import type { LocalObjectStore } from '../../src/local/object-store.js';
import { createServiceMetrics } from '../../src/metrics.js';
import { buildApp } from '../../src/server/app.js';
import { createObjectStorage } from '../../src/server/storage/object-storage.js';
import { getUpload } from '../../src/server/videos/direct-upload-records.js';
import { UPLOAD_EXPIRY_QUEUE } from '../../src/server/videos/direct-upload-queue.js';
import { startDirectUploads, type DirectUploadsOptions } from '../../src/server/videos/direct-uploads.js';
import { insertTenant } from '../../src/tenants/tenant-records.js';
import type { Tenant, TenantLifecycle, TenantStatus } from '../../src/tenants/tenant-types.js';
import { expectProblem } from '../helpers/http.js';
import { startTestStore, tempDir, testS3Client } from '../helpers/local-store.js';
import { startTestPostgres } from '../helpers/postgres.js';
import { processFreezer } from '../helpers/processes.js';
import { eventually, quietLogger } from '../helpers/stacks.js';
import { mp4Lookalike } from '../helpers/videos.js';
import { appServices } from '../helpers/app-services.js';
import { createVideoCatalog } from '../../src/catalog/video-catalog.js';

const MiB = 1024 * 1024;

/** A bucket in the store, and tenants by status whose records live in `db` (the uploads table refers to them). */
async function tenantsOn(t: Test, store: LocalObjectStore, db: Database, statuses: Record<string, TenantStatus>) {
  const s3 = testS3Client(store);
  t.teardown(() => s3.destroy());
  const bucket = `direct-${Object.keys(statuses)[0]}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const now = new Date().toISOString();
  const records = new Map<string, Tenant>();
  for (const [id, status] of Object.entries(statuses)) {
    await insertTenant(db, { id, status, settings: DEFAULT_THUMBNAIL_SETTINGS, lastOperationId: 'none' });
    const outputs = status === 'provisioning' ? undefined : { bucket, bucketArn: `arn:aws:s3:::${bucket}`, functionName: 'f', functionArn: 'arn', region: 'us-east-1' };
    records.set(id, { id, status, settings: DEFAULT_THUMBNAIL_SETTINGS, settingsVersion: 1, ...(outputs && { outputs }), createdAt: now, updatedAt: now });
  }
  const tenants = { get: async (id: string) => records.get(id) } as Pick<TenantLifecycle, 'get'>;
  const openUploads = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  return { s3, bucket, tenants, openUploads };
}

/** One replica's direct uploads on `db`: its own job engine and storage adapter, stopped at teardown. */
async function replica(t: Test, db: Database, name: string, options: Omit<DirectUploadsOptions, 'db' | 'boss' | 'storage' | 'catalog' | 'logger' | 'urlTtlSeconds' | 'maxUploadBytes'> & { store: LocalObjectStore; storageTimeoutSeconds?: number }) {
  const boss = await createJobEngine({ db, replicaId: name, heartbeatSeconds: 10, logger: quietLogger });
  t.teardown(() => boss.stop({ graceful: false, timeout: 5_000 }));
  const storage = createObjectStorage(options.store.connection, { timeoutSeconds: options.storageTimeoutSeconds ?? 10 });
  t.teardown(() => storage.close());
  const catalog = await createVideoCatalog({ db, boss, store: storage, heartbeatSeconds: 10, reconcileCron: '0 0 1 1 *', logger: { ...quietLogger, debug() {} } });
  const started = await startDirectUploads({ ...options, db, boss, storage, catalog, logger: quietLogger, urlTtlSeconds: 3600, maxUploadBytes: 64 * MiB });
  t.teardown(() => started.stop());
  return { ...started, storage };
}

async function pgliteDatabase(t: Test): Promise<Database> {
  const db = await openDatabase({ dataDir: await tempDir(t) });
  t.teardown(() => db.close());
  await migrate(db);
  return db;
}

t.test('an upload left open is aborted at its expiry by the job of a live replica, parts and all', async (t) => {
  const store = await startTestStore(t);
  const db = await pgliteDatabase(t);
  const { s3, bucket, tenants, openUploads } = await tenantsOn(t, store, db, { acme: 'ready' });
  // Replica A gives out uploads that expire at once, and has stopped working jobs: its upload stays
  // open (with a part in the store) until another replica works the expiry queue.
  const a = await replica(t, db, 'a', { store, tenants, maxOpenUploads: 4, expirySeconds: 1 });
  await a.stop();
  const created = await a.uploads.create({ tenantId: 'acme', fileName: 'left.mp4', size: 6 * MiB });
  const multipart = (await openUploads()).find((upload) => upload.Key === stagedUploadKey(created.uploadId));
  t.ok(multipart, 'the multipart upload is open in the store');
  await s3.send(new UploadPartCommand({ Bucket: bucket, Key: multipart!.Key, UploadId: multipart!.UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, 1) }));
  t.equal((await getUpload(db, created.uploadId))?.status, 'open', 'its record is open');
  await eventually(async () => (await getUpload(db, created.uploadId))?.expired, 'the upload to expire');
  await t.rejects(a.uploads.get('acme', created.uploadId), new UploadNotFound(created.uploadId, 'has expired'), 'past its expiry, no client can use it');

  await replica(t, db, 'b', { store, tenants, maxOpenUploads: 4, expirySeconds: 3600 });
  await eventually(async () => (await getUpload(db, created.uploadId))?.status === 'aborted', 'the expiry job to abort the upload');
  t.same(await openUploads(), [], 'the multipart upload and its part are gone from the store');
  await t.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: stagedUploadKey(created.uploadId) })), { name: 'NotFound' }, 'no staged object either');
});

t.test('the cap on open uploads holds across two replicas sharing one PostgreSQL', async (t) => {
  const store = await startTestStore(t);
  const server = await startTestPostgres(t);
  const open = async () => {
    const db = await openDatabase({ url: server.url, dataDir: await tempDir(t), onConnectionError: () => {} });
    t.teardown(() => db.close());
    await migrate(db);
    return db;
  };
  const [dbA, dbB] = [await open(), await open()];
  const { tenants, openUploads } = await tenantsOn(t, store, dbA, { acme: 'ready' });
  const cap = 3;
  const a = await replica(t, dbA, 'a', { store, tenants, maxOpenUploads: cap, expirySeconds: 3600 });
  const b = await replica(t, dbB, 'b', { store, tenants, maxOpenUploads: cap, expirySeconds: 3600 });

  // Eight at once, four on each replica: each replica alone would let three through.
  const tries = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => (n % 2 ? a : b).uploads.create({ tenantId: 'acme', fileName: `race-${n}.mp4`, size: MiB })));
  const made = tries.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
  const refused = tries.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason as unknown] : []));
  t.equal(made.length, cap, `exactly ${cap} uploads were created`);
  t.equal(refused.length, 8 - cap);
  t.ok(refused.every((error) => error instanceof TooManyOpenUploads && error.retryAfterSeconds > 0 && error.retryAfterSeconds <= 60), 'the rest refused, with a wait to retry after');
  t.same((await openUploads()).map((upload) => upload.Key).sort(), made.map((upload) => stagedUploadKey(upload.uploadId)).sort(), 'a refused upload cost the store nothing');

  await b.uploads.abort('acme', made[0]!.uploadId);
  const next = await a.uploads.create({ tenantId: 'acme', fileName: 'after.mp4', size: MiB });
  t.ok(next.uploadId, 'an aborted upload frees its slot, on the other replica too');
  await t.rejects(b.uploads.create({ tenantId: 'acme', fileName: 'over.mp4', size: MiB }), { message: /the most it may hold/ }, 'and the cap is full again');
});

/** The HTTP app over one replica's direct uploads, with an API key per tenant; `call` answers as fetch would. */
async function uploadsApp(t: Test, tenants: Pick<TenantLifecycle, 'get'>, direct: Awaited<ReturnType<typeof replica>>, tenantIds: string[]) {
  const keys = Object.fromEntries(tenantIds.map((id) => [id, newApiKey(id)]));
  const adminToken = 'a'.repeat(32);
  const app = await buildApp({
    config: loadConfig({}),
    adminToken,
    services: appServices({
      tenants: { ...tenants, authenticate: async (key: string) => Object.entries(keys).find(([, value]) => value === key)?.[0] } as TenantLifecycle,
      storage: direct.storage,
      uploads: direct.uploads,
    }),
    metrics: createServiceMetrics(),
    logLevel: 'silent',
  });
  t.teardown(() => app.close());
  const call = async (method: 'GET' | 'POST', url: string, token: string, payload?: object) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload });
    return new Response(response.body, { status: response.statusCode, headers: response.headers as Record<string, string> });
  };
  return { keys, adminToken, call };
}

t.test('an unknown or unready tenant and a silent store are refused, and nothing is left', async (t) => {
  const store = await startTestStore(t);
  const db = await pgliteDatabase(t);
  const { tenants, openUploads } = await tenantsOn(t, store, db, { acme: 'ready', early: 'provisioning', leaving: 'deleting' });
  const direct = await replica(t, db, 'a', { store, tenants, maxOpenUploads: 4, expirySeconds: 1, storageTimeoutSeconds: 1 });
  const { keys, adminToken, call } = await uploadsApp(t, tenants, direct, ['acme', 'early', 'leaving']);
  const post = (token: string, query = '') => call('POST', `/uploads${query}`, token, { fileName: 'clip.mp4', size: MiB });
  const rows = async () => (await db.query<{ status: string }>('SELECT status FROM uploads')).map((row) => row.status);

  await expectProblem(t, await post(adminToken, '?tenant=nobody'), 404, 'an unknown tenant');
  await expectProblem(t, await post(keys.early!), 409, 'a tenant still provisioning');
  await expectProblem(t, await post(keys.leaving!), 409, 'a tenant being deleted');
  t.same(await rows(), [], 'no upload was recorded');
  t.same(await openUploads(), [], 'nothing was started in the store');

  // No replica works the expiry queue yet: a job must not meet the frozen store (it would retry minutes later).
  await direct.stop();
  const { freeze, thaw } = processFreezer(t, store.process.pid!);
  freeze();
  await expectProblem(t, await post(keys.acme!), 503, 'a store that does not answer');
  thaw();
  t.same(await rows(), ['aborted'], 'the refused upload holds no slot');
  // The store may still carry out the create it received while frozen: once it answers again, the
  // upload's expiry job (due at once here) removes whatever it made.
  t.ok(Array.isArray(await openUploads()), 'the store answers again');
  await replica(t, db, 'b', { store, tenants, maxOpenUploads: 4, expirySeconds: 1 });
  await eventually(async () => {
    const jobs = await db.query<{ state: string }>('SELECT state FROM pgboss.job WHERE name = $1', [UPLOAD_EXPIRY_QUEUE]);
    return (jobs.length === 1 && jobs[0]!.state === 'completed') || undefined;
  }, 'the expiry job to run');
  t.same(await openUploads(), [], 'no multipart upload is left');
  const staged = await direct.storage.list((await tenants.get('acme'))!.outputs!.bucket, { prefix: STAGED_UPLOAD_PREFIX });
  t.same(staged.objects, [], 'and no staged object');
});

t.test('a completion the store does not answer is a 503, and completing again once it answers makes the video', async (t) => {
  const store = await startTestStore(t);
  const db = await pgliteDatabase(t);
  const { bucket, tenants, openUploads } = await tenantsOn(t, store, db, { acme: 'ready' });
  const direct = await replica(t, db, 'a', { store, tenants, maxOpenUploads: 4, expirySeconds: 3600, storageTimeoutSeconds: 1 });
  const { keys, call } = await uploadsApp(t, tenants, direct, ['acme']);
  const bytes = mp4Lookalike(6 * MiB);
  const upload = (await (await call('POST', '/uploads', keys.acme!, { fileName: 'late.mp4', size: bytes.length })).json()) as { uploadId: string; videoId: string; partSize: number; parts: Array<{ url: string }> };
  const etags = await Promise.all(
    upload.parts.map(async (part, n) => (await fetch(part.url, { method: 'PUT', body: bytes.subarray(n * upload.partSize, (n + 1) * upload.partSize) })).headers.get('etag')!),
  );
  const parts = etags.map((etag, n) => ({ partNumber: n + 1, etag }));

  const { freeze, thaw } = processFreezer(t, store.process.pid!);
  freeze();
  await expectProblem(t, await call('POST', `/uploads/${upload.uploadId}/complete`, keys.acme!, { parts }), 503, 'completing while the store is frozen');
  thaw();
  t.equal((await getUpload(db, upload.uploadId))?.status, 'open', 'the upload is still open');
  // The store carries out the frozen request once thawed: while it joins the parts, completing again is a 409 to retry.
  const completed = await eventually(async () => {
    const answer = await call('POST', `/uploads/${upload.uploadId}/complete`, keys.acme!, { parts });
    if (answer.status !== 409) return answer;
    t.equal(answer.headers.get('retry-after'), '2', 'a 409 while the store joins the parts, with Retry-After');
    return undefined;
  }, 'an answer other than "still completing"');
  t.equal(completed.status, 201, 'completing again once the store answers');
  t.match(await completed.json(), { id: upload.videoId, size: bytes.length, contentType: 'video/mp4' });
  t.same(await openUploads(), [], 'no multipart upload is left');
  t.same((await direct.storage.list(bucket, { prefix: STAGED_UPLOAD_PREFIX })).objects, [], 'nor the staged object');
  t.same((await direct.storage.list(bucket, { prefix: `videos/${upload.videoId}/` })).objects.map((object) => object.key), [`videos/${upload.videoId}/late.mp4`], 'the video, once');
});
