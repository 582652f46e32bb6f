// Takeover with the real engine: a replica SIGKILLed mid-`up` (service, CLI and provider at once,
// as when a container dies) while the store has created the bucket and the engine has not heard of
// it. The killed run reaches the store through a proxy that holds back that answer, so the kill
// always lands inside the create. A new replica on the same embedded database finds every row
// (PGlite through a SIGKILL), sees the job's heartbeats stop, takes the operation over with a new
// fencing token, clears the dead attempt's lock, imports the pending create (the bucket exists,
// and a second create would fail as on S3), and finishes the `up`.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bucketName } from '../../src/stacks/tenant-resource-names.js';
import { listTriggers } from '../../src/domain/local-registrations.js';
import { FIXTURE_INPUT_ENV, TEST_PASSPHRASE, bucketExists, eventually, finished, localTestTarget, openTestTenants } from '../helpers/stacks.js';
import { killProcessesMentioning, processesMentioning } from '../helpers/processes.js';
import { holdingProxy, onBucket } from '../helpers/holding-proxy.js';

const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // it ended while we looked
  }
};

const child = fileURLToPath(new URL('./fixtures/provision-then-hang.ts', import.meta.url));
const HEARTBEAT_SECONDS = 10;

t.test('an up whose replica is killed mid-create is taken over, its pending create imported, and finished', async (t) => {
  const env = await localTestTarget(t);
  const proxy = await holdingProxy(env.store.connection.endpoint, onBucket('PUT', bucketName('acme')));
  t.teardown(() => proxy.close());
  const target = { ...env.target, connection: { ...env.target.connection, endpoint: proxy.url } };
  // The target holds the store's secret key and the passphrase: environment, never argv (ps shows argv).
  const proc = spawn(process.execPath, ['--import=tsx', child], {
    env: { ...process.env, [FIXTURE_INPUT_ENV]: JSON.stringify({ dataDir: env.dataDir, target, tenantId: 'acme', heartbeatSeconds: HEARTBEAT_SECONDS }) },
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
  // The store has created the bucket and answered; the answer is held, so the engine cannot record
  // it however long the test takes: killed now, the create is pending.
  await eventually(() => proxy.held() > 0 || undefined, 'the store to answer the bucket create');
  t.ok(await bucketExists(env.store, bucketName('acme')), 'the store has the bucket');
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

  const replica = await openTestTenants(t, env, { heartbeatSeconds: HEARTBEAT_SECONDS, replicaId: 'survivor' });
  const before = await replica.tenants.operation(upId);
  t.match(before, { kind: 'up', status: 'running', attempt: 1 }, 'the SIGKILL lost no row: the operation is still the dead attempt’s');
  t.equal((await replica.tenants.get('acme'))?.status, 'provisioning');

  const done = await finished(replica.tenants, upId);
  t.equal(done.status, 'succeeded', done.error ?? '');
  t.equal(done.attempt, 2, 'a second attempt ran it, on the surviving replica');
  const owner = await replica.db.query<{ owner_replica: string; fencing_token: number }>('SELECT owner_replica, fencing_token FROM operations WHERE id = $1', [upId]);
  t.same(owner, [{ owner_replica: 'survivor', fencing_token: 2 }], 'with a new fencing token');
  t.equal((await replica.tenants.get('acme'))?.status, 'ready');
  t.same((await readdir(locks)).filter((name) => name.endsWith('.json')), [], 'the dead attempt’s lock is cleared');
  t.ok(await bucketExists(env.store, bucketName('acme')), 'the bucket the dead attempt created is the tenant’s');
  t.ok((await listTriggers(env.dataDir)).some((trigger) => trigger.bucket === bucketName('acme')), 'and the rest of the stack was created');
  await eventually(() => processesMentioning(env.dataDir).length === 0 || undefined, 'the engine to stop its providers');
  t.pass('no engine or provider process of this data dir is left running');
});
