// Benchmark (not a test): the scale-out shape under load, through the cluster launcher
// (src/local/cluster.ts: PostgreSQL, one object store, 3 replicas), 5 tenants:
//   1. 50 uploads of a real 1 s video (ffmpeg) at once, spread over the tenants and the replicas:
//      every one must be ready in the catalog (GET /videos/:id), none lost. Baseline: one upload alone.
//   2. 1,000 webhook events with replica 1 SIGKILLed after half of them were sent: 1,000 small
//      uploads that pass the sniffing but do not decode (an ftyp header, then filler), so the
//      thumbnailer writes error.json and the catalog publishes `video.failed`. Each tenant's
//      endpoint is a loopback receiver verifying signatures with standardwebhooks. Every accepted
//      upload's event must arrive (at least once; duplicates are counted), and every webhook-id of
//      the delivery logs too. Uploads the killed replica dropped (connection errors) are counted
//      apart; later uploads go to the live replicas only (the launcher restarts replica 1).
// Rate limits and the per-tenant upload cap are set far above the load (see ENV); the table counts
// any 429 so a limit that interfered would show. Waits are bounded (10 min).
// Run: npm run bench:load [-- --uploads 50 --events 1000]   (writes bench/results/load.md).
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildServerIfStale } from '../scripts/build-if-stale.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { startCluster, type RunningCluster } from '../src/local/cluster.js';
import { freePortRange } from '../src/local/free-port.js';
import { startWebhookReceiver, type WebhookReceiver } from '../test/helpers/webhook-receiver.js';
import { makeVideo, mp4Lookalike } from '../test/helpers/videos.js';

const RESULT = join(projectRoot, 'bench/results/load.md');
const REPLICAS = 3;
const KILLED_REPLICA = 1;
const TENANTS = Array.from({ length: 5 }, (_, index) => `load-${index}`);
/** Uploads of the event phase in flight at once, over every tenant and replica. */
const EVENT_CONCURRENCY = 12;
const WAIT_MS = 600_000;
const POLL_MS = 500;
const LOOKALIKE_BYTES = 16 * 1024;
const ENV = {
  LOG_LEVEL: 'warn',
  THUMBFORGE_HEARTBEAT_SECONDS: '10',
  // Far above the load: 1,000 uploads and the polling spread over 5 keys and 3 replicas.
  THUMBFORGE_RATE_LIMIT_PER_MINUTE: '1000000',
  THUMBFORGE_MAX_CONCURRENT_UPLOADS: '100',
  // The shortest backoff the configuration allows: a delivery the kill interrupted is retried soon.
  THUMBFORGE_WEBHOOK_RETRY_DELAY_SECONDS: '1',
};

const { values: args } = parseArgs({ options: { uploads: { type: 'string', default: '50' }, events: { type: 'string', default: '1000' } } });
const UPLOADS = Number(args.uploads);
const EVENTS = Number(args.events);

type Json = Record<string, any>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const milliseconds = (ms: number) => `${ms.toFixed(0)} ms`;
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = WAIT_MS): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      console.log(`[load] gave up waiting for ${what} after ${seconds(timeoutMs)}`);
      return undefined;
    }
    await sleep(POLL_MS);
  }
}

type Client = {
  cluster: RunningCluster;
  adminToken: string;
  keys: Map<string, string>;
  /** Replicas that are up as far as the bench is concerned (the killed one never comes back into it). */
  live: number[];
};

async function call(client: Client, replica: number, path: string, init: { method?: string; json?: unknown; body?: FormData; token?: string } = {}): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? client.adminToken}` };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${client.cluster.replicas[replica]!.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Json) : {} };
}

/** A read through the live replicas, the first that answers. */
async function read(client: Client, path: string, token: string): Promise<Json> {
  let failure: unknown;
  for (const replica of client.live) {
    try {
      const answer = await call(client, replica, path, { token });
      if (answer.status === 200) return answer.json;
      failure = new Error(`${path}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

/**
 * Creates the tenants, each with its webhook endpoint. A create that fails is retried once, as its
 * operator would (POST /tenants/:id/retry): the table names it with the reason.
 */
async function provision(client: Client, receivers: Map<string, WebhookReceiver>): Promise<Array<{ id: string; error: string }>> {
  const retried: Array<{ id: string; error: string }> = [];
  for (const [index, id] of TENANTS.entries()) {
    const created = await call(client, index % REPLICAS, '/tenants', { method: 'POST', json: { id, thumbnail: { widths: [96] } } });
    if (created.status !== 202) throw new Error(`POST /tenants ${id}: ${created.status} ${JSON.stringify(created.json)}`);
    client.keys.set(id, created.json.apiKey as string);
  }
  for (const id of TENANTS) {
    await until(async () => {
      const tenant = (await call(client, 0, `/tenants/${id}`)).json;
      if (tenant.status === 'failed') {
        if (retried.some((item) => item.id === id)) throw new Error(`tenant ${id} failed again: ${JSON.stringify(tenant.lastOperation)}`);
        retried.push({ id, error: String(tenant.lastOperation?.error) });
        const again = await call(client, 0, `/tenants/${id}/retry`, { method: 'POST' });
        if (again.status !== 202) throw new Error(`POST /tenants/${id}/retry: ${again.status} ${JSON.stringify(again.json)}`);
        return undefined;
      }
      return tenant.status === 'ready' ? true : undefined;
    }, `tenant ${id}`);
  }
  for (const [index, id] of TENANTS.entries()) {
    const receiver = receivers.get(id)!;
    const endpoint = await call(client, index % REPLICAS, '/webhooks', { method: 'POST', token: client.keys.get(id), json: { url: receiver.url, events: ['video.failed'] } });
    if (endpoint.status !== 201) throw new Error(`POST /webhooks for ${id}: ${endpoint.status} ${JSON.stringify(endpoint.json)}`);
    receiver.secret = endpoint.json.secret as string;
  }
  return retried;
}

type Upload = { tenant: string; replica: number; startedAt: number; answeredMs: number; status: number | 'connection error'; videoId?: string };

async function upload(client: Client, tenant: string, replica: number, file: Blob, name: string): Promise<Upload> {
  const form = new FormData();
  form.append('file', file, name);
  const startedAt = Date.now();
  const began = performance.now();
  try {
    const answer = await call(client, replica, '/videos', { method: 'POST', body: form, token: client.keys.get(tenant) });
    return { tenant, replica, startedAt, answeredMs: performance.now() - began, status: answer.status, videoId: answer.status === 201 ? (answer.json.id as string) : undefined };
  } catch {
    return { tenant, replica, startedAt, answeredMs: performance.now() - began, status: 'connection error' };
  }
}

type ReadyPhase = { label: string; uploads: Upload[]; wallMs: number; ready: number; failed: number; lost: number; readyMs: number[] };

/** `count` uploads of `video` at once, round-robin over tenants and replicas; resolves once every accepted one is ready (or failed, or the wait ends). */
async function uploadsAtOnce(client: Client, label: string, count: number, video: Blob): Promise<ReadyPhase> {
  const began = performance.now();
  const uploads = await Promise.all(Array.from({ length: count }, (_, index) => upload(client, TENANTS[index % TENANTS.length]!, index % REPLICAS, video, `clip-${index}.mp4`)));
  const accepted = uploads.filter((item) => item.videoId);
  const outcome = new Map<string, { status: string; readyAt?: string }>();
  await until(async () => {
    for (const tenant of new Set(accepted.map((item) => item.tenant))) {
      for (const status of ['ready', 'failed']) {
        const page = await read(client, `/videos?status=${status}&limit=100`, client.keys.get(tenant)!);
        for (const item of page.items as Json[]) outcome.set(item.id as string, { status, readyAt: item.readyAt as string | undefined });
      }
    }
    return accepted.every((item) => outcome.has(item.videoId!)) ? true : undefined;
  }, `${accepted.length} uploads to be ready`);
  const wallMs = performance.now() - began;
  // Each video's own record (GET /videos/:id, from the catalog) is what counts as ready.
  let ready = 0;
  let failed = 0;
  const readyMs: number[] = [];
  for (const item of accepted) {
    const video = await read(client, `/videos/${item.videoId}`, client.keys.get(item.tenant)!);
    if (video.status === 'ready') {
      ready += 1;
      readyMs.push(Date.parse(video.readyAt as string) - item.startedAt);
    } else if (video.status === 'failed') failed += 1;
  }
  return { label, uploads, wallMs, ready, failed, lost: accepted.length - ready - failed, readyMs };
}

type EventPhase = {
  uploads: Upload[];
  killedAt: number;
  sentBeforeKill: number;
  expected: Set<string>;
  received: Set<string>;
  missing: string[];
  missingByStatus: Map<string, number>;
  distinctIds: number;
  messages: number;
  unverified: number;
  loggedIds: number;
  loggedMissing: number;
  unexpected: number;
  sendMs: number;
  lastEventMs: number;
  allReceived: boolean;
};

async function eventsWithAKill(client: Client, receivers: Map<string, WebhookReceiver>): Promise<EventPhase> {
  const file = new Blob([mp4Lookalike(LOOKALIKE_BYTES)]);
  const uploads: Upload[] = [];
  let next = 0;
  let killedAt = 0;
  let sentBeforeKill = 0;
  let turn = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: EVENT_CONCURRENCY }, async () => {
      for (let index = next++; index < EVENTS; index = next++) {
        if (!killedAt && index >= EVENTS / 2) {
          // Mid-flight: uploads to it are under way, and its workers hold thumbnail, catalog and delivery jobs.
          killedAt = performance.now();
          sentBeforeKill = index;
          client.live = client.live.filter((replica) => replica !== KILLED_REPLICA);
          process.kill(client.cluster.replicas[KILLED_REPLICA]!.pid!, 'SIGKILL');
          console.log(`[load] replica ${KILLED_REPLICA} SIGKILLed after ${index} of ${EVENTS} uploads were sent`);
        }
        const replica = client.live[turn++ % client.live.length]!;
        uploads.push(await upload(client, TENANTS[index % TENANTS.length]!, replica, file, `broken-${index}.mp4`));
      }
    }),
  );
  const sendMs = performance.now() - began;
  const expected = new Set(uploads.flatMap((item) => (item.videoId ? [item.videoId] : [])));
  const messages = () => [...receivers.values()].flatMap((receiver) => receiver.received);
  const receivedVideos = () => new Set(messages().flatMap((message) => (message.message?.type === 'video.failed' ? [message.message.data.id as string] : [])));
  console.log(`[load] ${expected.size} uploads accepted in ${seconds(sendMs)}; waiting for their video.failed events`);
  let lastEventMs = 0;
  const allReceived = await until(async () => {
    const got = receivedVideos();
    lastEventMs = performance.now() - began;
    return [...expected].every((id) => got.has(id)) ? true : undefined;
  }, `${expected.size} video.failed events`);
  const received = receivedVideos();
  const all = messages();
  // Every webhook-id the delivery logs hold (the unexpected videos' too) must have reached its receiver.
  const logged = new Set<string>();
  for (const tenant of TENANTS) {
    const token = client.keys.get(tenant)!;
    const [endpoint] = (await read(client, '/webhooks', token)).items as Json[];
    let cursor: string | undefined;
    do {
      const page = await read(client, `/webhooks/${endpoint!.id}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ''}`, token);
      for (const delivery of page.items as Json[]) logged.add(delivery.id as string);
      cursor = (page.nextCursor as string | null) ?? undefined;
    } while (cursor);
  }
  const ids = new Set(all.map((message) => message.id));
  const missing = [...expected].filter((id) => !received.has(id));
  // A missing event's video as the catalog has it: failed (the event itself was lost) or still pending (the pipeline lost the video).
  const missingByStatus = new Map<string, number>();
  for (const id of missing) {
    const item = uploads.find((candidate) => candidate.videoId === id)!;
    const status = String((await read(client, `/videos/${id}`, client.keys.get(item.tenant)!).catch(() => ({ status: 'unreadable' }))).status);
    missingByStatus.set(status, (missingByStatus.get(status) ?? 0) + 1);
    console.log(`[load] missing: video ${id} of ${item.tenant} (uploaded through replica ${item.replica}), ${status} in the catalog`);
  }
  return {
    uploads,
    killedAt: killedAt - began,
    sentBeforeKill,
    expected,
    received,
    missing,
    missingByStatus,
    distinctIds: ids.size,
    messages: all.length,
    unverified: all.filter((message) => message.error).length,
    loggedIds: logged.size,
    loggedMissing: [...logged].filter((id) => !ids.has(id)).length,
    unexpected: [...received].filter((id) => !expected.has(id)).length,
    sendMs,
    lastEventMs,
    allReceived: allReceived === true,
  };
}

function report(solo: ReadyPhase, burst: ReadyPhase, events: EventPhase): string {
  const answered = (phase: ReadyPhase) => phase.uploads.map((item) => item.answeredMs);
  const statusCount = (uploads: Upload[], match: (status: Upload['status']) => boolean) => uploads.filter((item) => match(item.status)).length;
  const soloPost = answered(solo)[0]!;
  const soloReady = solo.readyMs[0] ?? Number.NaN;
  const ratio = (value: number, baseline: number) => (value / baseline).toFixed(2);
  const accepted = burst.uploads.filter((item) => item.videoId).length;
  const refusedByKilled = statusCount(events.uploads, (status) => status === 'connection error');
  const refusedHttp = events.uploads.filter((item) => item.status !== 201 && item.status !== 'connection error');
  const eventPosts = events.uploads.map((item) => item.answeredMs);
  const tooMany = statusCount([...burst.uploads, ...events.uploads], (status) => status === 429);
  const delivered = events.expected.size - events.missing.length;
  return [
    '# Load: 3 replicas through the cluster launcher',
    '',
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}: \`startCluster\` (src/local/cluster.ts) with ${REPLICAS} replicas, PostgreSQL and one versitygw,`,
    `${TENANTS.length} tenants (one width, 96 px), each with a webhook endpoint for \`video.failed\` at a loopback receiver that verifies every signature with \`standardwebhooks\`.`,
    `Environment: ${Object.entries(ENV).map(([name, value]) => `${name}=${value}`).join(', ')}.`,
    'The bench and the cluster share the machine; read ratios, not seconds. One run.',
    '',
    `## ${UPLOADS} uploads at once (a 1 s 320×180 H.264 video made by ffmpeg), round-robin over ${TENANTS.length} tenants and ${REPLICAS} replicas`,
    '',
    '| | value | vs 1 upload alone |',
    '|---|---|---|',
    `| accepted (201) | ${accepted} of ${UPLOADS} | |`,
    `| ready (GET /videos/:id from the catalog) | ${burst.ready} | |`,
    `| failed | ${burst.failed} | |`,
    `| lost (accepted, neither ready nor failed after ${seconds(WAIT_MS)}) | ${burst.lost} | |`,
    `| wall time, first upload sent to all ready | ${seconds(burst.wallMs)} | ${ratio(burst.wallMs, soloReady)} |`,
    `| POST /videos answered, p50 / p99 | ${milliseconds(percentile(answered(burst), 50))} / ${milliseconds(percentile(answered(burst), 99))} | ${ratio(percentile(answered(burst), 50), soloPost)} / ${ratio(percentile(answered(burst), 99), soloPost)} |`,
    `| upload sent to ready (the catalog's readyAt), p50 / p99 | ${seconds(percentile(burst.readyMs, 50))} / ${seconds(percentile(burst.readyMs, 99))} | ${ratio(percentile(burst.readyMs, 50), soloReady)} / ${ratio(percentile(burst.readyMs, 99), soloReady)} |`,
    `| baseline: 1 upload alone, answered / ready | ${milliseconds(soloPost)} / ${seconds(soloReady)} | 1.00 |`,
    '',
    `## ${EVENTS} webhook events, replica ${KILLED_REPLICA} SIGKILLed midway`,
    '',
    `${EVENTS} uploads of a ${LOOKALIKE_BYTES / 1024} KiB ftyp header with filler (test/helpers/videos.ts \`mp4Lookalike\`: it passes the sniffing, ffprobe cannot decode it, the thumbnailer writes error.json, the catalog publishes \`video.failed\`),`,
    `${EVENT_CONCURRENCY} in flight at a time, round-robin over the tenants and the live replicas. Replica ${KILLED_REPLICA} got SIGKILL when upload ${events.sentBeforeKill + 1} was due (${seconds(events.killedAt)} in); the launcher restarted it, and the bench sent it nothing more.`,
    '',
    '| | value |',
    '|---|---|',
    `| uploads accepted (201): expected \`video.failed\` events | ${events.expected.size} |`,
    `| uploads the killed replica dropped (connection error; not expected, not lost) | ${refusedByKilled} |`,
    `| uploads refused with an HTTP status | ${refusedHttp.length}${refusedHttp.length ? ` (${[...new Set(refusedHttp.map((item) => item.status))].join(', ')})` : ''} |`,
    `| expected events received (distinct video ids) | ${delivered} |`,
    `| **delivered / expected** | **${(delivered / events.expected.size).toFixed(3)}** |`,
    `| missing after the wait (lost) | ${events.missing.length}${events.missing.length ? ` (their videos in the catalog: ${[...events.missingByStatus].map(([status, count]) => `${count} ${status}`).join(', ')})` : ''} |`,
    `| messages received / distinct webhook-ids (duplicates: at-least-once) | ${events.messages} / ${events.distinctIds} (${events.messages - events.distinctIds} duplicates) |`,
    `| signatures that did not verify | ${events.unverified} |`,
    `| webhook-ids in the delivery logs / of them never received | ${events.loggedIds} / ${events.loggedMissing} |`,
    `| events for videos whose upload got no answer (stored before the kill) | ${events.unexpected} |`,
    `| sending the ${EVENTS} uploads | ${seconds(events.sendMs)} |`,
    `| POST /videos answered, p50 / p99 | ${milliseconds(percentile(eventPosts, 50))} / ${milliseconds(percentile(eventPosts, 99))} |`,
    `| first upload sent to the last expected event received | ${events.allReceived ? seconds(events.lastEventMs) : `not within ${seconds(WAIT_MS)}`} |`,
    '',
    `Rate limits: THUMBFORGE_RATE_LIMIT_PER_MINUTE and THUMBFORGE_MAX_CONCURRENT_UPLOADS are set far above the load, so neither interfered: 429 answers in the whole run: ${tooMany}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  await buildServerIfStale();
  // The cluster's data dir is a temp dir of its own: as root, PostgreSQL runs as `postgres`, which the launcher lets traverse it only.
  const work = await mkdtemp(join(tmpdir(), 'thumbforge-bench-load-'));
  const dataDir = await mkdtemp(join(tmpdir(), 'thumbforge-bench-load-cluster-'));
  const closers: Array<() => unknown> = [];
  let cluster: RunningCluster | undefined;
  try {
    const receivers = new Map<string, WebhookReceiver>();
    for (const tenant of TENANTS) receivers.set(tenant, await startWebhookReceiver({ teardown: (close) => void closers.push(close) }, () => 204, `/hooks/${tenant}`));
    const adminToken = randomBytes(24).toString('base64url');
    cluster = await startCluster({
      replicas: REPLICAS,
      port: await freePortRange(REPLICAS + 1),
      dataDir,
      env: { ...process.env, ...ENV, THUMBFORGE_ADMIN_TOKEN: adminToken },
      print: (line) => console.log(`  [cluster] ${line}`),
    });
    const client: Client = { cluster, adminToken, keys: new Map(), live: Array.from({ length: REPLICAS }, (_, index) => index) };
    const retried = await provision(client, receivers);
    console.log(`[load] ${TENANTS.length} tenants ready, each with a webhook endpoint`);
    const video = new Blob([await readFile(await makeVideo(work, { name: 'clip.mp4', seconds: 1, width: 320, height: 180 }))]);
    const solo = await uploadsAtOnce(client, 'alone', 1, video);
    const burst = await uploadsAtOnce(client, 'at once', UPLOADS, video);
    console.log(`[load] ${UPLOADS} uploads: ${burst.ready} ready, ${burst.lost} lost, in ${seconds(burst.wallMs)}`);
    const events = await eventsWithAKill(client, receivers);
    let text = report(solo, burst, events);
    text += retried.length === 0
      ? '\nEvery tenant was ready on its first `up`.\n'
      : `\nTenant creates that failed and were retried once (POST /tenants/:id/retry), then ready:\n${retried.map((item) => `- ${item.id}: ${item.error}`).join('\n')}\n`;
    if (burst.lost > 0 || events.missing.length > 0) {
      // Something was lost: the replicas' logs outlive the run, to find out where.
      const kept = await mkdtemp(join(tmpdir(), 'thumbforge-bench-load-logs-'));
      await cp(join(dataDir, 'logs'), kept, { recursive: true });
      text += `\nSomething was lost: the replicas' logs of this run are kept in ${kept}.\n`;
    }
    await writeFile(RESULT, text);
    console.log(`\n${text}\nwritten to ${RESULT}`);
  } finally {
    await cluster?.stop();
    for (const close of closers) await close();
    await rm(work, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
