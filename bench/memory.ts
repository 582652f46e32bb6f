// Benchmark (not a test): the compiled service's resident memory, as `npm start` runs it
// (node dist/main.js, bench/service-process.ts), on both databases: embedded PGlite and a PostgreSQL
// server. It reports the idle RSS after start, the RSS after N tenant create/destroy cycles (growth
// over the cycles) and the peak RSS under the read bench's load (bench/read-load.ts: a tenant with
// 100 thumbnails, wrk at 50 connections on each read route), each as a ratio to the issue's goal.
// Where the memory goes: the RSS after the first cycle too (Pulumi's modules load with the first
// engine run), the V8 heap and external memory from the service's own /metrics, anonymous vs
// file-backed pages from /proc/<pid>/smaps_rollup, a heap snapshot (taken on SIGUSR2, after a full
// GC) at the end, after the peak was read, with its biggest kinds of object, and two baselines
// in processes of their own (node doing nothing; node with the service's database module opened on
// PGlite and migrated).
// Run: npm run bench:memory [-- --cycles N]   (writes bench/results/memory.md). Only the node
// process is measured: the object store (versitygw) and PostgreSQL are processes of their own.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { buildServerIfStale } from '../scripts/build-if-stale.js';
import { COMPILED_MAIN, projectRoot, SERVICE_NODE_FLAGS } from '../src/domain/toolchain.js';
import { startPostgresServer } from '../src/local/postgres-server.js';
import { driveReads, READ_LOAD, requireWrk, seedReadTenant, type ReadRoute } from './read-load.js';
import { memoryKiB, resetPeakMemory, startServiceProcess, stopServiceProcess, type ServiceProcess } from './service-process.js';

const run = promisify(execFile);
const RESULT = join(projectRoot, 'bench/results/memory.md');
const GOALS = { idleMiB: 150, growthMiB: 50, peakMiB: 300 };
/** How long the service sits idle before the idle reading: its start-up work (recovery, reconciles) has settled. */
const SETTLE_MS = 10_000;
const CONCURRENT_CYCLES = 4;
const POLL_MS = 500;
const WAIT_MS = 600_000;
/** Kinds of object listed per heap snapshot. */
const TOP_KINDS = 8;

const { values: args } = parseArgs({ options: { cycles: { type: 'string', default: '50' } } });
const CYCLES = Number(args.cycles);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (kib: number) => Math.round(kib / 1024);
const MiB = 1024 * 1024;

/** What the memory bench needs of a read load: seeding (not measured), then the load (measured). */
type ReadLoad = {
  seed(service: ServiceProcess, workDir: string): Promise<ReadRoute[]>;
  drive(service: ServiceProcess, routes: ReadRoute[]): Promise<unknown>;
};

async function api(service: ServiceProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${service.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Polls until the tenant's status satisfies `done` (ready, or gone: 404); bounded. */
async function waitFor(service: ServiceProcess, id: string, done: (status: number, tenantStatus: unknown) => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const { status, json } = await api(service, 'GET', `/tenants/${id}`);
    if (done(status, json.status)) return;
    if (json.status === 'failed') throw new Error(`tenant ${id} failed: ${JSON.stringify(json)}`);
    if (Date.now() > deadline) throw new Error(`tenant ${id}: still ${String(json.status ?? status)} after ${WAIT_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

async function cycle(service: ServiceProcess, id: string): Promise<void> {
  const created = await api(service, 'POST', '/tenants', { id });
  if (created.status !== 202) throw new Error(`POST /tenants ${id}: ${created.status} ${JSON.stringify(created.json)}`);
  await waitFor(service, id, (_, status) => status === 'ready');
  const deleted = await api(service, 'DELETE', `/tenants/${id}`);
  if (deleted.status !== 202) throw new Error(`DELETE /tenants/${id}: ${deleted.status} ${JSON.stringify(deleted.json)}`);
  await waitFor(service, id, (status) => status === 404);
}

/** Where a process's resident memory is: V8's heap, external memory (ArrayBuffers: PGlite's WASM memory among them), anonymous and file-backed pages. */
type Breakdown = { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number; anonymousMiB: number; fileMiB: number };

async function breakdownOf(service: ServiceProcess): Promise<Breakdown> {
  const response = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${service.adminToken}` } });
  const text = await response.text();
  const metric = (name: string) => {
    const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
    if (value === undefined) throw new Error(`/metrics has no ${name}`);
    return Number(value) / MiB;
  };
  const smaps = await readFile(`/proc/${service.pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(smaps)?.[1] ?? Number.NaN) / 1024;
  return {
    rssMiB: field('Rss'),
    heapUsedMiB: metric('nodejs_heap_size_used_bytes'),
    heapTotalMiB: metric('nodejs_heap_size_total_bytes'),
    externalMiB: metric('nodejs_external_memory_bytes'),
    anonymousMiB: field('Anonymous'),
    fileMiB: field('Rss') - field('Anonymous'),
  };
}

/** A heap snapshot: the heap after the full GC V8 runs before writing it, and its biggest kinds of object by self size. */
type HeapSummary = { rssAfterMiB: number; heapMiB: number; kinds: Array<[string, number]> };

/** Sends SIGUSR2 (the service runs with --heapsnapshot-signal), waits for the snapshot in `dir`, and sums it up. */
async function heapSnapshot(service: ServiceProcess, dir: string): Promise<HeapSummary> {
  const before = new Set(await readdir(dir));
  process.kill(service.pid, 'SIGUSR2');
  let file: string | undefined;
  let size = -1;
  // Written in one go by the process; done once its size holds still (and the process answers again).
  for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; await sleep(POLL_MS)) {
    file ??= (await readdir(dir)).find((name) => name.endsWith('.heapsnapshot') && !before.has(name));
    if (!file) continue;
    const now = (await stat(join(dir, file))).size;
    if (now > 0 && now === size && (await fetch(`${service.url}/healthz`).then((r) => r.ok, () => false))) break;
    size = now;
  }
  if (!file) throw new Error('no heap snapshot was written');
  const snapshot = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  await rm(join(dir, file));
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((name) => fields.indexOf(name)) as [number, number, number];
  const kinds = new Map<string, number>();
  let total = 0;
  for (let index = 0; index < snapshot.nodes.length; index += fields.length) {
    const type = types[snapshot.nodes[index + typeAt]!]!;
    const bytes = snapshot.nodes[index + sizeAt]!;
    const kind = type === 'object' || type === 'closure' ? `${snapshot.strings[snapshot.nodes[index + nameAt]!]} (${type})` : `(${type})`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + bytes);
    total += bytes;
  }
  return {
    rssAfterMiB: (await memoryKiB(service.pid, 'VmRSS')) / 1024,
    heapMiB: total / MiB,
    kinds: [...kinds].sort((a, b) => b[1] - a[1]).slice(0, TOP_KINDS).map(([kind, bytes]) => [kind, bytes / MiB]),
  };
}

type Reading = {
  idleKiB: number;
  afterFirstKiB: number;
  afterCyclesKiB: number;
  peakKiB: number;
  cycleSeconds: number;
  idle: Breakdown;
  loaded: Breakdown;
  /** After the cycles and the read load. */
  heap: HeapSummary;
};

async function measure(label: string, env: Record<string, string>, work: string, readLoad: ReadLoad): Promise<Reading> {
  const dataDir = join(work, label);
  const snapshots = join(work, `${label}-snapshots`);
  await mkdir(snapshots, { recursive: true });
  const service = await startServiceProcess(dataDir, { ...env, NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}` });
  try {
    await sleep(SETTLE_MS);
    const idleKiB = await memoryKiB(service.pid, 'VmRSS');
    const idle = await breakdownOf(service);
    console.log(`[memory] ${label}: idle ${mib(idleKiB)} MiB; ${CYCLES} tenant create/destroy cycles, ${CONCURRENT_CYCLES} at a time`);
    const started = performance.now();
    // The first alone: it loads Pulumi's modules (the first engine run needs them), once per process.
    await cycle(service, 'mem-0');
    const afterFirstKiB = await memoryKiB(service.pid, 'VmRSS');
    const queue = Array.from({ length: CYCLES - 1 }, (_, index) => `mem-${index + 1}`);
    await Promise.all(
      Array.from({ length: CONCURRENT_CYCLES }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) await cycle(service, id);
      }),
    );
    const cycleSeconds = (performance.now() - started) / 1000;
    await sleep(SETTLE_MS);
    const afterCyclesKiB = await memoryKiB(service.pid, 'VmRSS');
    console.log(`[memory] ${label}: after the first cycle ${mib(afterFirstKiB)} MiB, after all ${mib(afterCyclesKiB)} MiB (${cycleSeconds.toFixed(0)} s); the read load`);
    const routes = await readLoad.seed(service, dataDir);
    await resetPeakMemory(service.pid);
    await readLoad.drive(service, routes);
    const peakKiB = await memoryKiB(service.pid, 'VmHWM');
    const loaded = await breakdownOf(service);
    // Last: writing a snapshot takes memory of its own (hundreds of MiB), which the process keeps
    // and a peak read after it would count (the first runs of this bench took one before the reads).
    console.log(`[memory] ${label}: peak under the read load ${mib(peakKiB)} MiB; a heap snapshot`);
    const heap = await heapSnapshot(service, snapshots);
    return { idleKiB, afterFirstKiB, afterCyclesKiB, peakKiB, cycleSeconds, idle, loaded, heap };
  } finally {
    await stopServiceProcess(service);
  }
}

/** A node process of its own that runs `body` (an ES module), settles, and prints its RSS and process.memoryUsage(). */
async function baseline(body: string): Promise<{ rssMiB: number; heapTotalMiB: number; externalMiB: number }> {
  const code = `${body}\nawait new Promise((resolve) => setTimeout(resolve, 2000));\nconst m = process.memoryUsage();\nconsole.log(JSON.stringify({ rss: m.rss, heapTotal: m.heapTotal, external: m.external }));\nprocess.exit(0);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: projectRoot });
  const m = JSON.parse(stdout.trim().split('\n').at(-1)!) as { rss: number; heapTotal: number; external: number };
  return { rssMiB: m.rss / MiB, heapTotalMiB: m.heapTotal / MiB, externalMiB: m.external / MiB };
}

async function runMemoryBench(readLoad: ReadLoad): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'thumbforge-bench-memory-'));
  try {
    await buildServerIfStale();
    const nodeAlone = await baseline('');
    const dist = (module: string) => JSON.stringify(pathToFileURL(join(projectRoot, 'dist', module)).href);
    const pgliteAlone = await baseline(
      `const { openDatabase } = await import(${dist('db/database.js')});\nconst { migrate } = await import(${dist('db/migrate.js')});\n` +
        `const db = await openDatabase({ dataDir: ${JSON.stringify(join(work, 'pglite-alone'))} });\nawait migrate(db);\nawait db.query('SELECT 1');`,
    );
    const pglite = await measure('pglite', {}, work, readLoad);
    // A directory of its own: as root, the server runs as `postgres`, which cannot enter another's.
    const postgresDir = await mkdtemp(join(tmpdir(), 'thumbforge-bench-memory-pg-'));
    const postgres = await startPostgresServer({ dir: postgresDir });
    let server: Reading;
    try {
      server = await measure('postgres', { THUMBFORGE_DATABASE_URL: postgres.url }, work, readLoad);
    } finally {
      await postgres.stop();
      await rm(postgresDir, { recursive: true, force: true });
    }
    const row = (name: string, goal: number, value: (reading: Reading) => number) => {
      const cell = (reading: Reading) => `${mib(value(reading))} MiB (${(mib(value(reading)) / goal).toFixed(2)}×)`;
      return `| ${name} | ${goal} MiB | ${cell(pglite)} | ${cell(server)} |`;
    };
    const table = [
      '| measure (ratio to its goal; ≤ 1.00× meets it, growth < 1.00×) | goal | PGlite (embedded) | PostgreSQL server |',
      '|---|---|---|---|',
      row('idle RSS after start', GOALS.idleMiB, (r) => r.idleKiB),
      row(`growth over ${CYCLES} tenant create/destroy cycles`, GOALS.growthMiB, (r) => Math.max(0, r.afterCyclesKiB - r.idleKiB)),
      row(`  of it, the first cycle (Pulumi's modules load)`, GOALS.growthMiB, (r) => Math.max(0, r.afterFirstKiB - r.idleKiB)),
      row(`  of it, the other ${CYCLES - 1} cycles`, GOALS.growthMiB, (r) => Math.max(0, r.afterCyclesKiB - r.afterFirstKiB)),
      row(`peak RSS under the read load (${READ_LOAD.connections} connections)`, GOALS.peakMiB, (r) => r.peakKiB),
    ].join('\n');
    const f = (value: number) => value.toFixed(0);
    const breakdownRow = (name: string, b: Breakdown) => `| ${name} | ${f(b.rssMiB)} | ${f(b.heapUsedMiB)} / ${f(b.heapTotalMiB)} | ${f(b.externalMiB)} | ${f(b.anonymousMiB)} | ${f(b.fileMiB)} |`;
    const breakdown = [
      '| process, when | RSS | V8 heap used / total | external (ArrayBuffers, WASM memory) | anonymous pages | file-backed pages (code, mapped files) |',
      '|---|---|---|---|---|---|',
      `| node doing nothing (baseline) | ${f(nodeAlone.rssMiB)} | – / ${f(nodeAlone.heapTotalMiB)} | ${f(nodeAlone.externalMiB)} | | |`,
      `| node with the service's database module on PGlite, migrated (baseline) | ${f(pgliteAlone.rssMiB)} | – / ${f(pgliteAlone.heapTotalMiB)} | ${f(pgliteAlone.externalMiB)} | | |`,
      breakdownRow('service on PGlite, idle', pglite.idle),
      breakdownRow('service on PGlite, after the read load', pglite.loaded),
      breakdownRow('service on PostgreSQL, idle', server.idle),
      breakdownRow('service on PostgreSQL, after the read load', server.loaded),
    ].join('\n');
    const heapRows = (name: string, heap: HeapSummary) =>
      `| ${name} | ${f(heap.rssAfterMiB)} | ${f(heap.heapMiB)} | ${heap.kinds.map(([kind, size]) => `${kind.replaceAll('|', '\\|')} ${size.toFixed(1)}`).join('; ')} |`;
    const heaps = [
      '| process, when | RSS after the GC | heap after the GC | biggest kinds of object (self size, MiB) |',
      '|---|---|---|---|',
      heapRows('service on PGlite, after the cycles and the read load', pglite.heap),
      heapRows('service on PostgreSQL, after the cycles and the read load', server.heap),
    ].join('\n');
    const text = [
      `# Memory: the compiled service (node ${[...SERVICE_NODE_FLAGS, COMPILED_MAIN].join(' ')}, as npm start runs it)`,
      '',
      `Run on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${CYCLES} cycles (${CONCURRENT_CYCLES} at a time; ${pglite.cycleSeconds.toFixed(0)} s on PGlite, ${server.cycleSeconds.toFixed(0)} s on PostgreSQL).`,
      `RSS of the node process only, read from /proc (VmRSS; the peak is VmHWM, reset just before the read load); the object store and PostgreSQL run as processes of their own.`,
      `Idle: ${SETTLE_MS / 1000} s after /readyz; after the cycles: ${SETTLE_MS / 1000} s after the last one. The read load is bench/read-load.ts (the read bench's): a tenant with ${READ_LOAD.videos * READ_LOAD.widths.length} thumbnails, then wrk on /healthz and each read route for ${READ_LOAD.secondsPerRoute} s.`,
      '',
      table,
      '',
      '## Where the memory goes (MiB)',
      '',
      'The service rows read its own /metrics (prom-client: V8 heap, external memory) and /proc/<pid>/smaps_rollup; the baselines are node processes of their own (process.memoryUsage()).',
      '',
      breakdown,
      '',
      '## Heap snapshots (SIGUSR2: V8 runs a full GC, then writes the snapshot)',
      '',
      heaps,
      '',
    ].join('\n');
    console.log(`\n${text}`);
    await writeFile(RESULT, text);
    console.log(`[memory] written to ${RESULT}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await requireWrk();
await runMemoryBench({ seed: seedReadTenant, drive: (service, routes) => driveReads(service.url, routes) });
