// Crash recovery with the real engine: an `up` killed with SIGKILL mid-operation (service, CLI and
// provider all at once, as when a container dies) is recovered when the service opens again.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { FIXTURE_INPUT_ENV, TEST_PASSPHRASE, bucketExists, eventually, finished, localTestTarget, openTestService } from '../helpers/stacks.js';
import { killProcessesMentioning, processesMentioning } from '../helpers/processes.js';

const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // it ended while we looked
  }
};

const child = fileURLToPath(new URL('./fixtures/provision-then-hang.ts', import.meta.url));

t.test('an up killed mid-operation is interrupted, refreshed and retryable after restart', async (t) => {
  const env = await localTestTarget(t);
  // The target holds the store's secret key and the passphrase: environment, never argv (ps shows argv).
  const proc = spawn(process.execPath, ['--import=tsx', child], {
    env: { ...process.env, [FIXTURE_INPUT_ENV]: JSON.stringify({ dataDir: env.dataDir, target: env.target, tenantId: 'acme' }) },
    detached: true, // its own process group, so one kill takes the service and its engine
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGKILL');
    killProcessesMentioning(env.dataDir);
  });
  const lines: string[] = [];
  for await (const line of createInterface({ input: proc.stdout! })) {
    lines.push(line);
    // The bucket's create step has started: the engine is mid-operation.
    if (line.includes('resourcePreEvent') && line.includes('LocalBucket')) break;
  }
  // Kill once the store has the bucket but the engine has not recorded it: a pending create.
  await eventually(() => bucketExists(env.store, bucketName('acme')), 'the bucket to exist');
  const running = processesMentioning(env.dataDir);
  const commandLines = running.map(commandLine).join('\n');
  t.ok(running.includes(proc.pid!) && running.length > 2, 'the service, its engine and a provider are running');
  t.notOk([TEST_PASSPHRASE, env.target.connection.credentials!.secretAccessKey].some((secret) => commandLines.includes(secret)), 'no secret on any command line');
  // As when a container dies, everything of the run dies: the provider processes the engine
  // starts in their own process groups too.
  process.kill(-proc.pid!, 'SIGKILL');
  killProcessesMentioning(env.dataDir);
  await exited;
  t.notOk(lines.some((line) => line.includes('"done"')), 'killed before the operation finished');
  const upId = (JSON.parse(lines[0]!) as { operationId: string }).operationId;
  const locks = join(env.dataDir, 'state', '.pulumi', 'locks', 'organization', 'thumbforge-tenants', 'acme');
  t.ok((await readdir(locks)).some((name) => name.endsWith('.json')), 'the killed engine left its stack lock behind');

  const service = await openTestService(t, env);
  const tenant = service.get('acme')!;
  t.equal(tenant.status, 'interrupted', 'the tenant says what happened');
  const recovery = service.operation(tenant.lastOperationId!)!;
  t.equal(recovery.kind, 'refresh');
  t.equal(recovery.status, 'succeeded', recovery.error ?? '');
  t.same((await readdir(locks)).filter((name) => name.endsWith('.json')), [], 'the lock is cleared');
  const up = service.operation(upId)!;
  t.equal(up.status, 'interrupted', 'the killed up is recorded as interrupted');
  t.match(up.error, /stopped before this operation finished/);

  const retry = await service.retry('acme');
  const done = await finished(service, retry.id);
  t.equal(done.status, 'succeeded', done.error ?? '');
  t.equal(service.get('acme')?.status, 'ready');
  t.ok(await bucketExists(env.store, bucketName('acme')), 'the bucket exists');
  await eventually(() => processesMentioning(env.dataDir).length === 0 || undefined, 'the engine to stop its providers', 10_000);
  t.pass('no engine or provider process of this data dir is left running');
});
