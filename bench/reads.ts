// Benchmark (not a test): the catalog's read paths against GET /healthz on one server, in one run,
// once on each database: the embedded PGlite (the default, whose queries run on the server's own
// thread) and a PostgreSQL server (the scale-out shape). The server is the compiled service as
// `npm start` runs it, in a child process (bench/service-process.ts); the load is bench/read-load.ts:
// a tenant with 50 videos × 2 widths (100 thumbnails) made by the real thumbnailer, then `wrk`
// driving GET /healthz, GET /thumbnails?limit=100, GET /videos?limit=100 and GET /videos/:id, each
// for a while at 50 connections. Prints req/s, p50 and p99 per route, the ratio of each to
// /healthz's throughput, and the server's peak RSS over the reads (VmHWM, reset before the first route).
// Goal (issue 12): each read at least a quarter of /healthz's throughput, with p99 under 100 ms.
// Run: npm run bench:reads   (writes bench/results/reads.md; needs `wrk`: apt-get install wrk)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServerIfStale } from '../scripts/build-if-stale.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { startPostgresServer } from '../src/local/postgres-server.js';
import { driveReads, READ_LOAD, requireWrk, routeLabel, seedReadTenant, type RouteMeasure } from './read-load.js';
import { BENCH_RATE_LIMIT_PER_MINUTE, memoryKiB, resetPeakMemory, startServiceProcess, stopServiceProcess } from './service-process.js';

const RESULT = join(projectRoot, 'bench/results/reads.md');

type Run = { database: string; measured: RouteMeasure[]; beforeKiB: number; peakKiB: number };

/** One server on `databaseUrl` (or the embedded database): the tenant, its videos, then every route in turn. */
async function measureOn(database: string, databaseUrl: string | undefined, dataDir: string): Promise<Run> {
  const service = await startServiceProcess(dataDir, databaseUrl ? { THUMBFORGE_DATABASE_URL: databaseUrl } : {});
  try {
    const routes = await seedReadTenant(service, dataDir);
    console.log(`${database}: the bench tenant is seeded; driving each route for ${READ_LOAD.secondsPerRoute} s at ${READ_LOAD.connections} connections`);
    const beforeKiB = await memoryKiB(service.pid, 'VmRSS');
    await resetPeakMemory(service.pid);
    const measured = await driveReads(service.url, routes, (m) =>
      console.log(`${database} ${m.path}: ${m.requestsPerSecond.toFixed(0)} req/s, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms${m.errors ? ` (${m.errors})` : ''}`),
    );
    return { database, measured, beforeKiB, peakKiB: await memoryKiB(service.pid, 'VmHWM') };
  } finally {
    await stopServiceProcess(service);
  }
}

function rowsOf(run: Run): string[] {
  const healthz = run.measured[0]!.requestsPerSecond;
  return run.measured.map((m, index) => {
    const ratio = m.requestsPerSecond / healthz;
    const goal = index === 0 ? '' : ratio >= 0.25 && m.p99Ms < 100 ? 'met' : 'not met';
    return `| ${run.database} | \`GET ${routeLabel(m.path)}\` | ${m.requestsPerSecond.toFixed(0)} | ${m.p50Ms.toFixed(1)} | ${m.p99Ms.toFixed(1)} | ${ratio.toFixed(2)} | ${goal} | ${m.errors || 'none'} |`;
  });
}

async function main(): Promise<void> {
  await requireWrk();
  await buildServerIfStale();
  const root = await mkdtemp(join(tmpdir(), 'thumbforge-bench-'));
  const runs: Run[] = [];
  try {
    runs.push(await measureOn('PGlite (embedded)', undefined, join(root, 'pglite')));
    // A directory of its own: as root, the server runs as `postgres`, which cannot enter another's.
    const postgresDir = await mkdtemp(join(tmpdir(), 'thumbforge-bench-pg-'));
    const postgres = await startPostgresServer({ dir: postgresDir });
    try {
      runs.push(await measureOn('PostgreSQL server', postgres.url, join(root, 'server')));
    } finally {
      await postgres.stop();
      await rm(postgresDir, { recursive: true, force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const { videos, widths, connections, secondsPerRoute } = READ_LOAD;
  const report = [
    '# Reads from the catalog vs GET /healthz, one server',
    '',
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, local target (versitygw on loopback), once per database.`,
    `The compiled service (node dist/main.js) in a child process, THUMBFORGE_RATE_LIMIT_PER_MINUTE=${BENCH_RATE_LIMIT_PER_MINUTE} so the limiter never answers 429.`,
    `One tenant with ${videos} videos × ${widths.length} widths = ${videos * widths.length} thumbnails, made by the real thumbnailer. Each route driven by \`wrk -t2 -c${connections} -d${secondsPerRoute}s --latency\``,
    "in turn, with the tenant's key (GET /healthz without); wrk shares the machine's cores with the server (and, on the second run, PostgreSQL).",
    "Goal (issue 12): each read at least a quarter of /healthz's throughput, with p99 under 100 ms. Links are signed by `src/server/storage/url-signer.ts`.",
    '',
    '| database | request | req/s | p50 (ms) | p99 (ms) | vs /healthz | goal | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...runs.flatMap(rowsOf),
    '',
    ...runs.map((r) => `${r.database}: server RSS before the reads ${Math.round(r.beforeKiB / 1024)} MiB, peak during them ${Math.round(r.peakKiB / 1024)} MiB (VmHWM after a reset).`),
    '',
  ].join('\n');
  await writeFile(RESULT, report);
  console.log(`\n${report}\nwritten to ${RESULT}`);
}

await main();
