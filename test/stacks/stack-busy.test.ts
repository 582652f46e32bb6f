// Another engine run holding a tenant's stack (another replica, an operator) with the real engine:
// the service's operations wait it out or fail with a readable reason; a preview answers StackBusy.
// Nothing here races the engine: the other run is held inside a store call with the lock taken,
// and the service's next attempt is held back until the other run has finished.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConcurrentUpdateError } from '@pulumi/pulumi/automation/index.js';
import { join } from 'node:path';
import { toolsBinDir, toolsDir } from '../../src/domain/toolchain.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../../src/domain/thumbnail-settings.js';
import { StackBusy } from '../../src/domain/errors.js';
import { listFunctions } from '../../src/domain/local-registrations.js';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { TENANT_PROJECT, type TenantStacks } from '../../src/stacks/tenant-stacks.js';
import { createTenantLifecycle } from '../../src/tenants/tenant-lifecycle.js';
import { createOperationEventLog } from '../../src/tenants/operation-events.js';
import { stackSettingsOf } from '../../src/tenants/tenant-records.js';
import { FIXTURE_INPUT_ENV, bucketExists, eventually, finished, localTestTarget, openTestTenants, quietLogger } from '../helpers/stacks.js';
import { holdingProxy, onBucket } from '../helpers/holding-proxy.js';
import { tempDir } from '../helpers/local-store.js';

const otherRun = fileURLToPath(new URL('./fixtures/up-tenant.ts', import.meta.url));

const settings = DEFAULT_THUMBNAIL_SETTINGS;

/**
 * A tools dir whose `pulumi` is the pinned CLI behind a gate: while the file `gate` exists, a CLI
 * run waits before it starts. This test process's engine calls use it from here on.
 */
async function gatedCli(t: Test, gate: string) {
  const real = join(toolsBinDir(), 'pulumi');
  const dir = await tempDir(t, 'thumbforge-gated-tools-');
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'pulumi'), `#!/bin/sh\nwhile [ -e '${gate}' ]; do sleep 0.05; done\nexec '${real}' "$@"\n`, { mode: 0o755 });
  const before = process.env.THUMBFORGE_TOOLS_DIR;
  process.env.THUMBFORGE_TOOLS_DIR = dir;
  t.teardown(() => {
    if (before === undefined) delete process.env.THUMBFORGE_TOOLS_DIR;
    else process.env.THUMBFORGE_TOOLS_DIR = before;
  });
}

t.test('a stack locked by another process: an operation fails readably after its attempts, or waits the other run out', async (t) => {
  const env = await localTestTarget(t);
  const realTools = toolsDir();
  const gate = join(await tempDir(t), 'gate');
  await gatedCli(t, gate);
  const busy: unknown[] = [];
  const replica = await openTestTenants(t, env, {
    logger: {
      ...quietLogger,
      warn: (details: unknown, message?: string) => {
        if (!message?.includes('busy')) return;
        busy.push(details);
        // The retry has met the busy stack: its next attempt waits at the gate (shut before the
        // service even starts its backoff) until the other run is over.
        if (busy.length === 3) writeFileSync(gate, '');
      },
    },
  });
  const service = replica.tenants;
  t.teardown(() => rmSync(gate, { force: true })); // before the service closes: nothing waits at the gate then
  const { operation } = await service.provision({ id: 'acme', settings });
  t.equal((await finished(service, operation.id)).status, 'succeeded');

  // The other run: another process's `up --refresh` on the same backend, with the real CLI, reaching
  // the store through a proxy that holds the answer to the refresh's read of the bucket: it holds
  // the stack's lock until the test releases that answer.
  const proxy = await holdingProxy(env.store.connection.endpoint, onBucket('HEAD', bucketName('acme')));
  t.teardown(() => proxy.close());
  const target = { ...env.target, connection: { ...env.target.connection, endpoint: proxy.url } };
  const stackSettings = await stackSettingsOf(replica.db, 'acme');
  const input = { dataDir: env.dataDir, target, tenantId: 'acme', settings: { ...settings, format: 'webp' }, stackSettings };
  const proc = spawn(process.execPath, ['--import=tsx', otherRun], {
    env: { ...process.env, THUMBFORGE_TOOLS_DIR: realTools, [FIXTURE_INPUT_ENV]: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  proc.stdout.on('data', (chunk) => (output += chunk));
  const other = new Promise((resolve) => proc.once('exit', resolve));
  t.teardown(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
  await eventually(() => proxy.held() > 0 || undefined, 'the other run to read the bucket back');
  const locks = join(env.dataDir, 'state', '.pulumi', 'locks', 'organization', TENANT_PROJECT, 'acme');
  t.equal((await readdir(locks)).filter((name) => name.endsWith('.json')).length, 1, 'the other run holds the lock');

  const destroy = await service.destroy('acme');
  const failed = await finished(service, destroy.id);
  t.equal(failed.status, 'failed', 'three attempts, then the operation gives up');
  t.equal(failed.error, 'the stack is busy: another engine run (another replica or an operator) holds its lock; retry once it has finished');
  t.equal(busy.length, 2, 'it waited twice before giving up');
  t.equal((await service.get('acme'))?.status, 'failed');
  t.ok(await bucketExists(env.store, bucketName('acme')), 'nothing was destroyed');

  // The other run finishes while the retry waits: the retry's next attempt succeeds.
  const retry = await service.retry('acme');
  await eventually(() => busy.length > 2 || undefined, 'the retry to meet the busy stack');
  proxy.release();
  t.equal(await other, 0);
  t.equal(output.trim(), 'done', 'the other run finished');
  t.equal((await listFunctions(env.dataDir))[0]?.settings.format, 'webp', 'with its settings');
  rmSync(gate);
  const done = await finished(service, retry.id);
  t.equal(done.status, 'succeeded', done.error ?? '');
  t.equal(busy.length, 3, 'the retry waited once, then ran');
  t.equal((await service.get('acme'))?.status, 'ready');
  const [registration] = await listFunctions(env.dataDir);
  t.equal(registration?.settings.format, settings.format, "the retry ran after the other run and restored the tenant's settings");
});

// The file backend lets a preview run beside a locked update; Pulumi Cloud answers it 409 Conflict.
t.test('a preview that meets a busy stack is StackBusy (a conflict), not an engine error', async (t) => {
  const env = await localTestTarget(t);
  const replica = await openTestTenants(t, env);
  const stacks = {
    async preview() {
      // What the Automation API throws when the CLI reports the conflict (its constructor takes the CLI's result).
      throw new ConcurrentUpdateError('[409] Conflict: Another update is currently in progress.');
    },
  } as unknown as TenantStacks;
  const events = await createOperationEventLog(replica.db);
  t.teardown(() => events.close());
  const service = createTenantLifecycle({ db: replica.db, boss: replica.boss, stacks, events, operationTimeoutSeconds: 60 });
  const error = await service.preview('acme', undefined, AbortSignal.timeout(60_000)).catch((error: unknown) => error);
  t.type(error, StackBusy);
  t.equal((error as StackBusy).message, 'the stack of tenant "acme" is busy with another operation; try again shortly');
  t.equal(await service.get('acme'), undefined, 'nothing was written');
});
