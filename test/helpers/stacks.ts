// Test fixture for tenant stacks on the local target: a real versitygw, a temp data dir with its
// own PULUMI_HOME and file backend, a fixed test passphrase. Everything is removed by the test.
import type { Test } from 'tap';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { LocalObjectStore } from '../../src/local/object-store.js';
import { startTestStore, tempDir, testS3Client } from './local-store.js';
import type { LocalTarget } from '../../src/stacks/tenant-target.js';
import { openTenantService, openTenantStore, tenantStorePath, type OpenTenantServiceOptions, type TenantService } from '../../src/stacks/index.js';

export const TEST_PASSPHRASE = 'thumbforge-test-passphrase';
/** Where a fixture child process finds its input, secrets included: never on argv, which `ps` shows. */
export const FIXTURE_INPUT_ENV = 'THUMBFORGE_FIXTURE_INPUT';

export async function localTestTarget(t: Test) {
  const store = await startTestStore(t);
  const dataDir = await tempDir(t, 'thumbforge-stacks-');
  const target: LocalTarget = { kind: 'local', connection: store.connection, passphrase: TEST_PASSPHRASE };
  return { store, dataDir, target };
}

/** Waits until `check` holds, polling; fails the wait with `what` after the deadline. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
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

type TestServiceOptions = { maxConcurrentOperations?: number; operationTimeoutSeconds?: number; logger?: OpenTenantServiceOptions['logger'] };

/** The service on the local target, closed by the test (close also closes its store). */
export async function openTestService(t: Test, env: { dataDir: string; target: LocalTarget }, options: TestServiceOptions = {}): Promise<TenantService> {
  const service = await openTenantService({
    store: openTenantStore(tenantStorePath(env.dataDir)),
    target: env.target,
    dataDir: env.dataDir,
    maxConcurrentOperations: options.maxConcurrentOperations ?? 4,
    operationTimeoutSeconds: options.operationTimeoutSeconds ?? 300,
    logger: options.logger ?? quietLogger,
  });
  t.teardown(() => service.close());
  return service;
}

/** Resolves with the operation once it has finished. */
export function finished(service: TenantService, operationId: string) {
  return eventually(() => {
    const operation = service.operation(operationId);
    return operation && ['succeeded', 'failed', 'interrupted'].includes(operation.status) ? operation : undefined;
  }, `operation ${operationId} to finish`);
}
