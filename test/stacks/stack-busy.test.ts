// Another engine run holding a tenant's stack (another replica, an operator) with the real engine:
// the service's operations wait it out or fail with a readable reason; a preview answers StackBusy.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConcurrentUpdateError } from '@pulumi/pulumi/automation/index.js';
import { join } from 'node:path';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { StackBusy } from '../../src/domain/errors.js';
import { listFunctions } from '../../src/domain/local-registrations.js';
import { engineRunsFor } from '../../src/stacks/engine-processes.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { TENANT_PROJECT, type TenantStacks } from '../../src/stacks/tenant-stacks.js';
import { createTenantService } from '../../src/stacks/tenant-service.js';
import { openTenantStore, tenantStorePath } from '../../src/stacks/index.js';
import { FIXTURE_INPUT_ENV, bucketExists, eventually, finished, localTestTarget, openTestService, quietLogger } from '../helpers/stacks.js';
import { tempDir } from '../helpers/local-store.js';

const otherRun = fileURLToPath(new URL('./fixtures/up-tenant.ts', import.meta.url));

const settings = DEFAULT_THUMBNAIL_SETTINGS;

t.test('a stack locked by another process: an operation fails readably after its attempts, or waits the other run out', async (t) => {
  const env = await localTestTarget(t);
  const busy: unknown[] = [];
  const service = await openTestService(t, env, {
    logger: { ...quietLogger, warn: (details: unknown, message?: string) => void (message?.includes('busy') && busy.push(details)) },
  });
  const { operation } = await service.provision({ id: 'acme', settings, apiKeyHash: 'hash' });
  t.equal((await finished(service, operation.id)).status, 'succeeded');

  // The other run: another process's `up` on the same backend, frozen while it holds the lock.
  const input = { dataDir: env.dataDir, target: env.target, tenantId: 'acme', settings: { ...settings, format: 'webp' } };
  const proc = spawn(process.execPath, ['--import=tsx', otherRun], { env: { ...process.env, [FIXTURE_INPUT_ENV]: JSON.stringify(input) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  proc.stdout.on('data', (chunk) => (output += chunk));
  const other = new Promise((resolve) => proc.once('exit', resolve));
  t.teardown(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
  const locks = join(env.dataDir, 'state', '.pulumi', 'locks', 'organization', TENANT_PROJECT, 'acme');
  await eventually(async () => (await readdir(locks).catch(() => [])).some((name) => name.endsWith('.json')) || undefined, 'the other run to lock the stack');
  const [run] = engineRunsFor('acme'); // the child's CLI: it runs under this process's tree
  process.kill(run!.cli, 'SIGSTOP');
  const resume = () => process.kill(run!.cli, 'SIGCONT');
  t.teardown(() => {
    if (engineRunsFor('acme').some((entry) => entry.cli === run!.cli)) resume();
  });
  t.equal((await readdir(locks)).filter((name) => name.endsWith('.json')).length, 1, 'the other run holds the lock');

  const destroy = await service.destroy('acme');
  const failed = await finished(service, destroy.id);
  t.equal(failed.status, 'failed', 'three attempts, then the operation gives up');
  t.equal(failed.error, 'the stack is busy: another engine run (another replica or an operator) holds its lock; retry once it has finished');
  t.equal(busy.length, 2, 'it waited twice before giving up');
  t.equal(service.get('acme')?.status, 'failed');
  t.ok(await bucketExists(env.store, bucketName('acme')), 'nothing was destroyed');

  // The other run finishes while the retry waits: the retry's next attempt succeeds.
  const retry = await service.retry('acme');
  await eventually(() => busy.length > 2 || undefined, 'the retry to meet the busy stack');
  resume();
  t.equal(await other, 0);
  t.equal(output.trim(), 'done', 'the other run finished');
  const done = await finished(service, retry.id);
  t.equal(done.status, 'succeeded', done.error ?? '');
  t.equal(service.get('acme')?.status, 'ready');
  const [registration] = await listFunctions(env.dataDir);
  t.equal(registration?.settings.format, settings.format, "the retry ran after the other run and restored the tenant's settings");
});

// The file backend lets a preview run beside a locked update; Pulumi Cloud answers it 409 Conflict.
t.test('a preview that meets a busy stack is StackBusy (a conflict), not an engine error', async (t) => {
  const dataDir = await tempDir(t);
  const stacks = {
    async preview() {
      // What the Automation API throws when the CLI reports the conflict (its constructor takes the CLI's result).
      throw new ConcurrentUpdateError('[409] Conflict: Another update is currently in progress.');
    },
  } as unknown as TenantStacks;
  const service = await createTenantService({ store: openTenantStore(tenantStorePath(dataDir)), stacks, maxConcurrentOperations: 1, operationTimeoutSeconds: 60, logger: quietLogger });
  t.teardown(() => service.close());
  const error = await service.preview('acme').catch((error: unknown) => error);
  t.type(error, StackBusy);
  t.equal((error as StackBusy).message, 'the stack of tenant "acme" is busy with another operation; try again shortly');
  t.equal(service.get('acme'), undefined, 'nothing was written');
});
