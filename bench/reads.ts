// Benchmark (not a test): the catalog's read paths against GET /healthz on one server, in one run,
// once on each database: the embedded PGlite (the default, whose queries run on the server's own
// thread) and a PostgreSQL server (the scale-out shape). A tenant gets 50 videos with 2 widths each
// (100 thumbnails), uploaded through POST /videos and processed by the real thumbnailer; then `wrk`
// (Debian's package) drives GET /healthz, GET /thumbnails?limit=100, GET /videos?limit=100 and
// GET /videos/:id, each for a while at 50 connections. Prints req/s, p50 and p99 per route, the
// ratio of each to /healthz's throughput, and the server's peak RSS over the reads (it runs in a
// child process; the peak is reset through /proc/<pid>/clear_refs before the first route, then read
// from VmHWM).
// Goal (issue 12): each read at least a quarter of /healthz's throughput, with p99 under 100 ms.
// Run: npm run bench:reads   (writes bench/results/reads.md; needs `wrk`: apt-get install wrk)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { freePort } from '../src/local/free-port.js';
import { startPostgresServer } from '../src/local/postgres-server.js';
import { startService } from '../src/service.js';
import { makeVideo } from '../test/helpers/videos.js';

const run = promisify(execFile);
const RESULT = join(projectRoot, 'bench/results/reads.md');
const TENANT = 'bench';
const WIDTHS = [96, 160];
const VIDEOS = 50;
const CONNECTIONS = 50;
const SECONDS_PER_ROUTE = 15;
const MiB = 1024 * 1024;

type Started = { url: string; adminToken: string };

/** `--serve`: the child process, which runs the service and reports how to reach it on stdout. */
async function serve(): Promise<void> {
  const service = await startService(loadConfig(), { logLevel: 'warn' });
  console.log(JSON.stringify({ url: service.url, adminToken: service.adminToken } satisfies Started));
  process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
}

async function startChild(dataDir: string, databaseUrl: string | undefined): Promise<{ child: ChildProcess; started: Started }> {
  const port = await freePort();
  let s3Port = await freePort();
  while (s3Port === port) s3Port = await freePort();
  const child = spawn(process.execPath, ['--import=tsx', 'bench/reads.ts', '--serve'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      PORT: String(port),
      THUMBFORGE_S3_PORT: String(s3Port),
      THUMBFORGE_DATA_DIR: dataDir,
      THUMBFORGE_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
      ...(databaseUrl && { THUMBFORGE_DATABASE_URL: databaseUrl }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith('{')) return { child, started: JSON.parse(line) as Started };
  }
  throw new Error('the service did not start');
}

const vm = async (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 600_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

type Measured = { route: string; requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: string };

/** wrk's latency as milliseconds ("812.00us", "3.20ms", "1.02s"). */
function milliseconds(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`wrk latency not understood: ${text}`);
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
}

async function drive(url: string, route: string, token: string | undefined): Promise<Measured> {
  const headers = token ? ['-H', `authorization: Bearer ${token}`] : [];
  const { stdout } = await run('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${SECONDS_PER_ROUTE}s`, '--timeout', '10s', '--latency', ...headers, `${url}${route}`], { maxBuffer: 1 << 20 });
  const percentile = (p: string) => milliseconds(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)![1]!);
  const requestsPerSecond = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(stdout)![1]);
  const errors = [/Socket errors:.*$/m.exec(stdout)?.[0], /Non-2xx or 3xx responses: \d+/.exec(stdout)?.[0]].filter(Boolean).join('; ');
  return { route, requestsPerSecond, p50Ms: percentile('50'), p99Ms: percentile('99'), errors };
}

type Run = { database: string; measured: Measured[]; before: number; peak: number };

/** One server on `databaseUrl` (or the embedded database): the tenant, its videos, then every route in turn. */
async function measureOn(database: string, databaseUrl: string | undefined, dataDir: string): Promise<Run> {
  const { child, started } = await startChild(dataDir, databaseUrl);
  const admin = { authorization: `Bearer ${started.adminToken}`, 'content-type': 'application/json' };
  try {
    const created = await fetch(`${started.url}/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ id: TENANT, thumbnail: { widths: WIDTHS } }) });
    const { apiKey } = (await created.json()) as { apiKey: string };
    await until(async () => {
      const tenant = (await (await fetch(`${started.url}/tenants/${TENANT}`, { headers: admin })).json()) as { status: string };
      if (tenant.status === 'failed') throw new Error('the bench tenant failed to provision');
      return tenant.status === 'ready' ? true : undefined;
    }, 'the tenant');

    const tenantApi = (path: string, init: RequestInit = {}) => fetch(`${started.url}${path}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } });
    const video = await readFile(await makeVideo(dataDir, { name: 'clip.mp4', seconds: 1, width: 320, height: 180 }));
    for (let i = 0; i < VIDEOS; i += 1) {
      const form = new FormData();
      form.append('file', new Blob([video]), `clip-${i}.mp4`);
      const answer = await tenantApi('/videos', { method: 'POST', body: form });
      if (answer.status !== 201) throw new Error(`POST /videos answered ${answer.status}`);
    }
    const thumbnails = VIDEOS * WIDTHS.length;
    const ready = await until(async () => {
      const page = (await (await tenantApi('/videos?status=ready&limit=100')).json()) as { items: Array<{ id: string }> };
      const listed = (await (await tenantApi('/thumbnails?limit=100')).json()) as { items: unknown[] };
      return page.items.length === VIDEOS && listed.items.length === thumbnails ? page.items : undefined;
    }, `${VIDEOS} videos ready with ${thumbnails} thumbnails`);
    console.log(`${database}: ${VIDEOS} videos ready, ${thumbnails} thumbnails in the catalog; driving each route for ${SECONDS_PER_ROUTE} s at ${CONNECTIONS} connections`);

    const pid = child.pid!;
    const before = await vm(pid, 'VmRSS');
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    const routes: Array<[string, string | undefined]> = [
      ['/healthz', undefined],
      ['/thumbnails?limit=100', apiKey],
      ['/videos?limit=100', apiKey],
      [`/videos/${ready[0]!.id}`, apiKey],
    ];
    const measured: Measured[] = [];
    for (const [route, token] of routes) {
      const result = await drive(started.url, route, token);
      measured.push(result);
      console.log(`${database} ${route}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms${result.errors ? ` (${result.errors})` : ''}`);
    }
    return { database, measured, before, peak: await vm(pid, 'VmHWM') };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function rowsOf(run: Run): string[] {
  const healthz = run.measured[0]!.requestsPerSecond;
  return run.measured.map((m, index) => {
    const ratio = m.requestsPerSecond / healthz;
    const goal = index === 0 ? '' : ratio >= 0.25 && m.p99Ms < 100 ? 'met' : 'not met';
    const route = m.route.startsWith('/videos/') ? '/videos/:id' : m.route;
    return `| ${run.database} | \`GET ${route}\` | ${m.requestsPerSecond.toFixed(0)} | ${m.p50Ms.toFixed(1)} | ${m.p99Ms.toFixed(1)} | ${ratio.toFixed(2)} | ${goal} | ${m.errors || 'none'} |`;
  });
}

async function main(): Promise<void> {
  await run('wrk', ['--version']).catch((error: { code?: string }) => {
    // wrk prints its version and exits 1.
    if (error.code === 'ENOENT') throw new Error('wrk is not installed: apt-get install wrk');
  });
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
  const thumbnails = VIDEOS * WIDTHS.length;
  const report = [
    '# Reads from the catalog vs GET /healthz, one server',
    '',
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, local target (versitygw on loopback), once per database.`,
    `One tenant with ${VIDEOS} videos × ${WIDTHS.length} widths = ${thumbnails} thumbnails, made by the real thumbnailer. Each route driven by \`wrk -t2 -c${CONNECTIONS} -d${SECONDS_PER_ROUTE}s --latency\``,
    "in turn, with the tenant's key (GET /healthz without); wrk shares the machine's cores with the server (and, on the second run, PostgreSQL).",
    "Goal (issue 12): each read at least a quarter of /healthz's throughput, with p99 under 100 ms. Links are presigned by `storage.presignGet` as this branch has it.",
    '',
    '| database | request | req/s | p50 (ms) | p99 (ms) | vs /healthz | goal | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...runs.flatMap(rowsOf),
    '',
    ...runs.map((r) => `${r.database}: server RSS before the reads ${(r.before / MiB).toFixed(0)} MiB, peak during them ${(r.peak / MiB).toFixed(0)} MiB (VmHWM after a reset).`),
    '',
  ].join('\n');
  await writeFile(RESULT, report);
  console.log(`\n${report}\nwritten to ${RESULT}`);
}

if (process.argv.includes('--serve')) await serve();
else await main();
