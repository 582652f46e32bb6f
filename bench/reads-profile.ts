// Benchmark companion (not a test): where one read route's time goes, on a PostgreSQL server. It
// seeds the read bench's tenant (bench/read-load.ts) on one service process, starts the compiled
// service again on the same data dir with `--cpu-prof`, drives the route with wrk as the read bench
// does, and reports the CPU profile's self time by package and by function, and the database
// transactions per request (pg_stat_database's xact_commit over the run; every query the service
// sends outside a transaction is one).
// Run: npm run bench:reads-profile [-- --route /videos/:id]   (writes bench/results/reads-profile.md)
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildServerIfStale } from '../scripts/build-if-stale.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { startPostgresServer } from '../src/local/postgres-server.js';
import { driveRoute, READ_LOAD, requireWrk, routeLabel, seedReadTenant } from './read-load.js';
import { startServiceProcess, stopServiceProcess } from './service-process.js';

const RESULT = join(projectRoot, 'bench/results/reads-profile.md');
const TOP = 20;
/** Start-up work (recovery, reconciles) settles before the measured run. */
const SETTLE_MS = 5_000;

const { values: args } = parseArgs({ options: { route: { type: 'string', default: '/videos/:id' } } });

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** The package a frame belongs to: a node_modules package, a file of the service (dist/…), node's own, or V8's (idle, GC). */
function packageOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName || '(native)';
  const dependency = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (dependency) return dependency[1]!;
  const own = /\/dist\/(.+)$/.exec(frame.url);
  return own ? `service: ${own[1]}` : frame.url;
}

function selfTimes(profile: CpuProfile, key: (node: ProfileNode) => string): { total: number; shares: Array<[string, number]> } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const name = key(nodes.get(id)!);
    times.set(name, (times.get(name) ?? 0) + delta);
    total += delta;
  });
  return { total, shares: [...times].sort((a, b) => b[1] - a[1]).slice(0, TOP) };
}

async function main(): Promise<void> {
  await requireWrk();
  await buildServerIfStale();
  const work = await mkdtemp(join(tmpdir(), 'thumbforge-bench-profile-'));
  // A directory of its own: as root, the server runs as `postgres`, which cannot enter another's.
  const postgresDir = await mkdtemp(join(tmpdir(), 'thumbforge-bench-profile-pg-'));
  const postgres = await startPostgresServer({ dir: postgresDir });
  const client = new pg.Client({ connectionString: postgres.url });
  try {
    await client.connect();
    const dataDir = join(work, 'data');
    const profiles = join(work, 'profiles');
    const env = { THUMBFORGE_DATABASE_URL: postgres.url, THUMBFORGE_ADMIN_TOKEN: 'bench-profile-admin-token-0123456789' };
    const seeding = await startServiceProcess(dataDir, env);
    const routes = await seedReadTenant(seeding, dataDir).finally(() => stopServiceProcess(seeding));
    const route = routes.find((candidate) => routeLabel(candidate.path) === args.route);
    if (!route) throw new Error(`--route must be one of ${routes.map((candidate) => routeLabel(candidate.path)).join(', ')}`);

    const profiled = await startServiceProcess(dataDir, { ...env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profiles}` });
    const commits = async () => Number((await client.query<{ xact_commit: string }>('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0]!.xact_commit);
    let measure;
    let transactions;
    try {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const before = await commits();
      measure = await driveRoute(profiled.url, route);
      // The statistics reach pg_stat_database when a backend goes idle: read them after a pause.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      transactions = (await commits()) - before;
    } finally {
      await stopServiceProcess(profiled);
    }
    const [file] = await readdir(profiles);
    const profile = JSON.parse(await readFile(join(profiles, file!), 'utf8')) as CpuProfile;
    const byPackage = selfTimes(profile, (node) => packageOf(node.callFrame));
    const byFunction = selfTimes(profile, (node) => `${node.callFrame.functionName || '(anonymous)'} (${packageOf(node.callFrame)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''})`);
    const requests = measure.requestsPerSecond * READ_LOAD.secondsPerRoute;
    const rows = (shares: { total: number; shares: Array<[string, number]> }) => shares.shares.map(([name, time]) => `| ${name} | ${((100 * time) / shares.total).toFixed(1)} % |`);
    const report = [
      `# Where the time of \`GET ${args.route}\` goes (PostgreSQL server)`,
      '',
      `Run ${new Date().toISOString()}: the read bench's tenant (${READ_LOAD.videos * READ_LOAD.widths.length} thumbnails), the compiled service started again with \`--cpu-prof\`, then \`wrk -c${READ_LOAD.connections} -d${READ_LOAD.secondsPerRoute}s\` on the route.`,
      'The profile covers the whole process life (its start included); shares are of every sample, idle included. One run; the machine is shared.',
      '',
      `- ${measure.requestsPerSecond.toFixed(0)} req/s, p50 ${measure.p50Ms.toFixed(1)} ms, p99 ${measure.p99Ms.toFixed(1)} ms${measure.errors ? ` (${measure.errors})` : ''}`,
      `- database transactions per request: ${(transactions / requests).toFixed(2)} (${transactions} over ${requests.toFixed(0)} requests; background work, such as the job engine's polling, included)`,
      '',
      '| self time by package | share |',
      '|---|---|',
      ...rows(byPackage),
      '',
      '| self time by function | share |',
      '|---|---|',
      ...rows(byFunction),
      '',
    ].join('\n');
    await writeFile(RESULT, report);
    console.log(`${report}\nwritten to ${RESULT}`);
  } finally {
    await client.end();
    await postgres.stop();
    await rm(postgresDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

await main();
