// The scale-out shape through `npm run cluster` with 3 replicas (heartbeats of 10 s), real parts
// only: tenants created round-robin all become ready with no two operations of a tenant
// overlapping; a video uploaded through any replica gets its thumbnails; a replica SIGKILLed mid-operation is taken over while an SSE client on another
// replica sees `done`; PostgreSQL stopped and restarted mid-operation loses nothing; a rolling
// restart under load loses no operation; SIGTERM leaves no process behind. Waits are on
// conditions with generous bounds, and no assertion is about time (durations are only printed).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { openDatabase, type Database } from '../../src/db/database.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { tempDir } from '../helpers/local-store.js';
import { processesMentioning } from '../helpers/processes.js';
import { eventually } from '../helpers/stacks.js';
import { makeVideo } from '../helpers/videos.js';
import { readEventStream } from '../server/sse-client.js';

const REPLICAS = 3;
const POLL_MS = 1_000;
/** Bounds that only a hang reaches: engine runs on two loaded cores stay far inside them. */
const SETTLE_MS = 480_000;
/** The PostgreSQL outage: longer than a heartbeat, so a running operation's lease lapses inside it. */
const OUTAGE_MS = 15_000;

type Json = Record<string, any>;
type OperationRecord = { id: string; kind: string; status: string; attempt: number; owner_replica: string | null; started_at: Date | null; finished_at: Date | null; error: string | null };

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('three replicas through the cluster launcher', async (t) => {
  const cluster: TestCluster = await startTestCluster(t, { replicas: REPLICAS, env: { THUMBFORGE_SHUTDOWN_GRACE_SECONDS: '5' } });
  const db: Database = await openDatabase({ url: cluster.databaseUrl, dataDir: cluster.dataDir, onConnectionError: () => {} });
  // Registered after the cluster's teardown, so it runs first: the test's connection goes before the server.
  t.teardown(() => db.close());

  const commandLines = processesMentioning(cluster.dataDir).map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      return '';
    }
  });
  t.ok(commandLines.length > REPLICAS + 2, 'the launcher, PostgreSQL, the store and the replicas run');
  t.notOk(commandLines.some((line) => line.includes(cluster.adminToken)), 'the admin token is on no command line');
  t.notOk(cluster.lines.some((line) => line.includes(cluster.adminToken)), 'nor in the launcher’s output');
  t.same([...cluster.replicas.keys()].sort(), [0, 1, 2], 'the launcher printed every replica');
  for (const replica of cluster.replicas.values()) t.equal(new URL(replica.url).hostname, '127.0.0.1', `replica ${replica.index} listens on loopback`);

  /** One API call, tried on each replica from `first` on until one answers (replicas restart in these tests). */
  const call = async (first: number, path: string, init: { method?: string; json?: unknown } = {}): Promise<Response> => {
    let failure: unknown;
    for (let step = 0; step < REPLICAS; step++) {
      const replica = (first + step) % REPLICAS;
      try {
        const response = await cluster.api(replica, path, init);
        if (response.status !== 503) return response;
        failure = new Error(`replica ${replica} answered 503`);
        await response.body?.cancel();
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  };

  /** Creates the tenant through replica `on` (another if that one is down); a create that landed before its answer was lost counts. Resolves with the 202's body. */
  const create = async (id: string, on: number): Promise<Json | undefined> => {
    const response = await eventually(() => call(on, '/tenants', { method: 'POST', json: { id, thumbnail: { widths: [96] } } }).catch(() => undefined), `a replica to take the create of ${id}`, SETTLE_MS, POLL_MS);
    t.ok(response.status === 202 || response.status === 409, `${id}: created through replica ${on} (or by an earlier try)`);
    return response.status === 202 ? ((await response.json()) as Json) : void (await response.body?.cancel());
  };

  const tenant = async (id: string): Promise<Json | undefined> => {
    const response = await call(0, `/tenants/${id}`).catch(() => undefined);
    if (!response) return undefined;
    const body = (await response.json()) as Json;
    return response.status === 200 ? body : { status: `http ${response.status}` };
  };

  /** Resolves with the tenant once it is no longer being provisioned, updated or deleted. */
  const settled = (id: string) =>
    eventually(async () => {
      const found = await tenant(id);
      return found && ['ready', 'failed', 'interrupted', 'http 404'].includes(found.status) ? found : undefined;
    }, `${id} to settle`, SETTLE_MS, POLL_MS);

  const operationsOf = (tenantId: string) =>
    db.query<OperationRecord>('SELECT id, kind, status, attempt, owner_replica, started_at, finished_at, error FROM operations WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId]);

  const unfinished = async (prefix: string) =>
    (await db.query<{ count: number }>("SELECT count(*) AS count FROM operations WHERE tenant_id LIKE $1 AND status IN ('queued', 'running')", [`${prefix}%`]))[0]!.count;

  /** The operation of `tenantId` a replica is running now, once there is one. */
  const runningOperation = (tenantId: string) =>
    eventually(async () => (await operationsOf(tenantId)).find((operation) => operation.status === 'running' && operation.owner_replica), `an operation of ${tenantId} to run`, SETTLE_MS, 200);

  const replicaIndexOf = (owner: string) => Number(/^replica-(\d+)$/.exec(owner)![1]);

  await t.test('12 tenants created round-robin all become ready; no two operations of a tenant overlap', async (t) => {
    const ids = Array.from({ length: 12 }, (_, index) => `fleet-${String(index).padStart(2, '0')}`);
    await Promise.all(ids.map((id, index) => create(id, index % REPLICAS)));
    // Three of them get a destroy queued behind their up, through another replica, then are created
    // again: their stacks see up, destroy, up, which the per-tenant queue must run one at a time.
    const cycled = ids.slice(0, 3);
    for (const [index, id] of cycled.entries()) {
      const response = await call(index + 1, `/tenants/${id}`, { method: 'DELETE' });
      t.equal(response.status, 202, `${id}: destroy queued behind its up`);
      await response.body?.cancel();
    }
    for (const id of cycled) t.equal((await settled(id)).status, 'http 404', `${id}: destroyed once its up ended`);
    await Promise.all(cycled.map((id, index) => create(id, index + 2)));

    for (const id of ids) {
      const found = await settled(id);
      t.equal(found.status, 'ready', `${id} is ready`);
      t.match(found.lastOperation, { kind: 'up', status: 'succeeded' }, `${id}: its last operation succeeded${found.lastOperation?.error ? ` (${found.lastOperation.error})` : ''}`);
      t.ok(found.lastOperation.startedAt <= found.lastOperation.finishedAt, `${id}: the operation record has its times`);
    }
    const owners = new Set<string>();
    for (const id of ids) {
      const operations = await operationsOf(id);
      t.equal(operations.length, cycled.includes(id) ? 3 : 1, `${id}: ${operations.map((operation) => operation.kind).join(', ')}`);
      operations.forEach((operation) => operation.owner_replica && owners.add(operation.owner_replica));
      const errors = operations.map((operation) => operation.error).filter(Boolean);
      t.ok(operations.every((operation) => operation.status === 'succeeded' && operation.started_at && operation.finished_at), `${id}: every operation succeeded and has its times${errors.length > 0 ? ` (${errors.join('; ')})` : ''}`);
      const overlapping = operations.slice(1).filter((operation, index) => operation.started_at! < operations[index]!.finished_at!);
      t.same(overlapping.map((operation) => operation.id), [], `${id}: each operation started after the previous one finished`);
    }
    t.comment(`operations ran on ${[...owners].sort().join(', ')}`);
  });

  await t.test('a video uploaded through a replica the store does not post events to gets its thumbnails', async (t) => {
    const { apiKey } = (await create('uploads', 1))!;
    t.equal((await settled('uploads')).status, 'ready', 'the tenant is ready');
    const videos = await tempDir(t);
    const form = new FormData();
    form.append('file', new Blob([await readFile(await makeVideo(videos, { name: 'clip.mp4', seconds: 1 }))]), 'clip.mp4');
    const through = cluster.replicas.get(2)!.url;
    const uploaded = await fetch(`${through}/videos`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form });
    t.equal(uploaded.status, 201, 'POST /videos through replica 2: 201');
    const { id: videoId } = (await uploaded.json()) as Json;
    const video = await eventually(async () => {
      const state = (await (await fetch(`${through}/videos/${videoId}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as Json;
      return state.status === 'ready' ? state : undefined;
    }, 'the video’s thumbnails', SETTLE_MS, POLL_MS);
    t.ok(video.thumbnails.length > 0, 'its thumbnails are ready (the store posts its events to replica 0, which queues them as jobs)');
  });

  await t.test('a replica SIGKILLed mid-operation is taken over; an SSE client on another replica gets done', async (t) => {
    // Freeze the owner, then check it still holds a running operation: the kill lands inside the
    // operation whatever the engine's speed. An up that ended before the freeze is tried anew.
    let killed: { id: string; operation: OperationRecord; index: number; pid: number; line: number; at: number; stream: ReturnType<typeof readEventStream>; streamReplica: number } | undefined;
    for (let tries = 1; !killed && tries <= 5; tries++) {
      const id = `takeover-${tries}`;
      await create(id, tries % REPLICAS);
      const operation = await runningOperation(id);
      const index = replicaIndexOf(operation.owner_replica!);
      const streamReplica = (index + 1) % REPLICAS;
      const response = await cluster.api(streamReplica, `/tenants/${id}/events`);
      t.equal(response.status, 200, `${id}: events followed on replica ${streamReplica}, while replica ${index} runs the up`);
      const stream = readEventStream(response, 'done', SETTLE_MS);
      const pid = cluster.replicas.get(index)!.pid;
      process.kill(pid, 'SIGSTOP');
      const [now] = (await operationsOf(id)).filter((record) => record.id === operation.id);
      if (now?.status === 'running' && now.attempt === operation.attempt && now.owner_replica === operation.owner_replica) {
        const line = cluster.lines.length;
        process.kill(pid, 'SIGKILL');
        killed = { id, operation, index, pid, line, at: Date.now(), stream, streamReplica };
      } else {
        process.kill(pid, 'SIGCONT');
        t.comment(`${id}: its up ended before the freeze; trying another tenant`);
        await stream;
      }
    }
    if (!killed) throw new Error('no up was still running when its replica was frozen');
    const { id, operation, index, stream, streamReplica } = killed;
    t.pass(`replica ${index} SIGKILLed while running the up of ${id} (attempt ${operation.attempt})`);

    const claimed = await eventually(async () => (await operationsOf(id)).find((record) => record.id === operation.id && record.attempt > operation.attempt), 'another attempt to claim the operation', SETTLE_MS, 200);
    const claimedAfter = Date.now() - killed.at;
    // Any live replica may take it, the killed one's successor (same id, restarted by the launcher) included.
    t.pass(`attempt ${claimed.attempt} claimed by ${claimed.owner_replica}`);
    const found = await settled(id);
    const finishedAfter = Date.now() - killed.at;
    t.equal(found.status, 'ready', `${id} is ready after the takeover`);
    const [record] = (await operationsOf(id)).filter((candidate) => candidate.id === operation.id);
    t.match(record, { status: 'succeeded' }, 'the taken-over operation succeeded');
    t.comment(`takeover: the operation was claimed again ${seconds(claimedAfter)} after the SIGKILL and finished ${seconds(finishedAfter)} after it (heartbeat 10 s)`);

    const { messages } = await stream;
    const done = messages.find((message) => message.event === 'done');
    t.match(done?.data, { operationId: operation.id, status: 'succeeded' }, `the SSE client on replica ${streamReplica} got done`);
    t.ok(messages.some((message) => message.event === 'engine'), 'after the engine events');
    // The launcher prints a replica's line once it is ready again.
    await cluster.waitForLine((line) => line.startsWith(`replica ${index} http`) && !line.endsWith(` pid ${killed.pid}`), killed.line, SETTLE_MS);
    t.pass(`the launcher restarted replica ${index}`);
  });

  await t.test('PostgreSQL stopped and restarted mid-operation: nothing lost, operations end truthfully', async (t) => {
    const ids = ['outage-0', 'outage-1', 'outage-2'];
    await Promise.all(ids.map((id, index) => create(id, index)));
    await runningOperation(ids[0]!);
    await cluster.control('postgres stop', 'postgres stopped');
    await eventually(async () => {
      const answers = await Promise.all([0, 1, 2].map((replica) => cluster.api(replica, '/readyz').then((response) => response.status, () => 0)));
      return answers.every((status) => status !== 200) || undefined;
    }, 'every replica to say it is not ready', SETTLE_MS, 200);
    t.pass('every replica says it is not ready while the database is down');
    await sleep(OUTAGE_MS);
    await cluster.control('postgres start', 'postgres started');

    for (const id of ids) {
      let found = await settled(id);
      const [last] = (await operationsOf(id)).slice(-1);
      t.ok(found.status === 'ready' || found.status === 'failed', `${id} ended ${found.status} on attempt ${last?.attempt} (${last?.error ?? 'no error'})`);
      t.equal(last?.status, found.status === 'ready' ? 'succeeded' : 'failed', `${id}: its operation record says the same`);
      if (found.status === 'failed') {
        const retried = await call(0, `/tenants/${id}/retry`, { method: 'POST' });
        t.equal(retried.status, 202, `${id}: retry queued`);
        await retried.body?.cancel();
        found = await settled(id);
        t.equal(found.status, 'ready', `${id}: the retry succeeded`);
      }
    }
    t.equal(await unfinished('outage-'), 0, 'no operation is left queued or running');
  });

  await t.test('a rolling restart of every replica under load loses no operation', async (t) => {
    const ids: string[] = [];
    for (let index = 0; index < REPLICAS; index++) {
      // Load: tenants created on the other replicas just before this one is stopped.
      for (let step = 1; step <= 3; step++) {
        const id = `rolling-${index}-${step}`;
        ids.push(id);
        await create(id, (index + step) % REPLICAS);
      }
      const before = cluster.replicas.get(index)!.pid;
      const from = cluster.lines.length;
      process.kill(before, 'SIGTERM');
      await cluster.waitForLine((line) => line.startsWith(`replica ${index} http`) && !line.endsWith(` pid ${before}`), from, SETTLE_MS);
      t.not(cluster.replicas.get(index)!.pid, before, `replica ${index} stopped by SIGTERM and started again by the launcher`);
    }
    const handedOver: string[] = [];
    for (const id of ids) {
      const found = await settled(id);
      t.equal(found.status, 'ready', `${id} is ready`);
      const operations = await operationsOf(id);
      t.same(operations.map((operation) => `${operation.kind} ${operation.status}`), ['up succeeded'], `${id}: one up, succeeded`);
      if (operations[0]!.attempt > 1) handedOver.push(`${id} (attempt ${operations[0]!.attempt})`);
    }
    t.equal(await unfinished('rolling-'), 0, 'no operation is left queued or running');
    t.comment(`operations handed over during the restart: ${handedOver.join(', ') || 'none'}`);
  });

  await t.test('SIGTERM stops the whole cluster and leaves no process behind', async (t) => {
    await db.close();
    t.equal(await cluster.stop(), 0, 'the launcher exits 0');
    t.same(processesMentioning(cluster.dataDir), [], 'no process of the cluster’s data dir is left');
  });
});
