// Benchmark (not a test): 12 tenants provisioned through the cluster launcher on 1 replica and on 3
// replicas at the same total concurrency (THUMBFORGE_MAX_CONCURRENT_OPERATIONS × replicas), against
// a bare Automation API `up` of the same local program and workspace (src/stacks) with the same
// concurrency and no service around it: no HTTP, database, job queue or event rows.
// Run: npm run bench:replicas   (writes bench/results/replicas.md). It never touches a shared data dir.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalWorkspace } from '@pulumi/pulumi/automation/index.js';
import { DEFAULT_THUMBNAIL_SETTINGS } from '../src/domain/thumbnail-settings.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { startCluster } from '../src/local/cluster.js';
import { freePort, freePortRange } from '../src/local/free-port.js';
import { startObjectStore } from '../src/local/object-store.js';
import { createEngineWorkspace } from '../src/stacks/engine-workspace.js';
import { localTenantProgram } from '../src/stacks/local-program.js';
import { TENANT_PROJECT } from '../src/stacks/tenant-stacks.js';

const TENANTS = 12;
const TOTAL_CONCURRENCY = 6;
const RESULT = join(projectRoot, 'bench/results/replicas.md');
const ids = Array.from({ length: TENANTS }, (_, index) => `bench-${String(index).padStart(2, '0')}`);

type Run = { label: string; wallMs: number; soloMs: number; upMs: number[]; readyMs: number[] };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

/** Runs `work` on every item, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

/** The baseline: the service's own workspace and program, one plain `up` per stack, nothing else. */
async function bareAutomationApi(work: string): Promise<Run> {
  const hook = createServer((_, response) => response.end());
  const store = await startObjectStore({ dataDir: join(work, 'store'), port: await freePort(), webhookUrl: `http://127.0.0.1:${await listen(hook)}/` });
  try {
    const workspace = createEngineWorkspace({ target: { kind: 'local', connection: store.connection, passphrase: 'bench-passphrase' }, dataDir: work, scratchDir: join(work, 'scratch'), projectName: TENANT_PROJECT });
    const up = async (tenantId: string) => {
      const started = performance.now();
      const workDir = await mkdtemp(join(work, `${tenantId}-`));
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: tenantId, projectName: TENANT_PROJECT, program: localTenantProgram({ tenantId, settings: DEFAULT_THUMBNAIL_SETTINGS, region: store.connection.region }) },
        await workspace.options(tenantId, workDir),
      );
      await stack.up();
      return performance.now() - started;
    };
    await up('warm-up');
    const soloMs = await up('solo');
    const upMs: number[] = [];
    const started = performance.now();
    await pool(ids, TOTAL_CONCURRENCY, async (id) => void upMs.push(await up(id)));
    return { label: 'bare Automation API', wallMs: performance.now() - started, soloMs, upMs, readyMs: upMs };
  } finally {
    await store.stop();
    hook.close();
  }
}

/** The service: `replicas` replicas from the launcher, each allowed TOTAL_CONCURRENCY / replicas operations. */
async function throughCluster(work: string, replicas: number): Promise<Run> {
  const adminToken = randomBytes(24).toString('base64url');
  const cluster = await startCluster({
    replicas,
    port: await freePortRange(replicas + 1),
    dataDir: work,
    env: { ...process.env, LOG_LEVEL: 'warn', THUMBFORGE_ADMIN_TOKEN: adminToken, THUMBFORGE_MAX_CONCURRENT_OPERATIONS: String(TOTAL_CONCURRENCY / replicas) },
    print: (line) => console.log(`  [cluster] ${line}`),
  });
  const api = async (replica: number, path: string, body?: unknown) => {
    const response = await fetch(`${cluster.replicas[replica]!.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status >= 300) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, any>;
  };
  /** Creates the tenants round-robin and resolves once all are ready: each one's time from its create to ready, and each up's engine run. */
  const provision = async (tenants: string[]) => {
    const created = new Map<string, number>();
    for (const [index, id] of tenants.entries()) {
      await api(index % replicas, '/tenants', { id });
      created.set(id, performance.now());
    }
    const readyMs = new Map<string, number>();
    const upMs: number[] = [];
    while (readyMs.size < tenants.length) {
      for (const tenant of (await api(0, '/tenants')).tenants as Array<Record<string, any>>) {
        if (!created.has(tenant.id) || readyMs.has(tenant.id)) continue;
        if (tenant.status === 'failed') throw new Error(`${tenant.id} failed: ${tenant.lastOperation?.error}`);
        if (tenant.status !== 'ready') continue;
        readyMs.set(tenant.id, performance.now() - created.get(tenant.id)!);
        upMs.push(Date.parse(tenant.lastOperation.finishedAt) - Date.parse(tenant.lastOperation.startedAt));
      }
      await sleep(100);
    }
    return { readyMs: [...readyMs.values()], upMs };
  };
  try {
    await provision(['warm-up']);
    const soloMs = (await provision(['solo'])).readyMs[0]!;
    const started = performance.now();
    const { readyMs, upMs } = await provision(ids);
    return { label: `${replicas} replica${replicas > 1 ? 's' : ''} × ${TOTAL_CONCURRENCY / replicas}`, wallMs: performance.now() - started, soloMs, upMs, readyMs };
  } finally {
    await cluster.stop();
  }
}

async function main() {
  const runs: Run[] = [];
  for (const scenario of [(work: string) => bareAutomationApi(work), (work: string) => throughCluster(work, 1), (work: string) => throughCluster(work, 3)]) {
    const work = await mkdtemp(join(tmpdir(), 'thumbforge-bench-replicas-'));
    try {
      runs.push(await scenario(work));
      console.log(`${runs.at(-1)!.label}: ${TENANTS} tenants in ${s(runs.at(-1)!.wallMs)}`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const [bare] = runs as [Run, ...Run[]];
  const row = (name: string, value: (run: Run) => number) =>
    `| ${name} | ${runs.map((run) => `${s(value(run))} (${(value(run) / value(bare)).toFixed(2)})`).join(' | ')} |`;
  const table = [
    '# Replicas: 12 tenants on 1 replica vs 3, and the service against a bare Automation API `up`',
    '',
    `${TENANTS} tenants of the local target (bucket, function registration, trigger), provisioned at a total concurrency of ${TOTAL_CONCURRENCY}:`,
    `the bare Automation API runs ${TOTAL_CONCURRENCY} plain \`up\`s at a time with the service's own workspace and program (src/stacks), without HTTP, database or queue;`,
    `the service runs through \`npm run cluster\` (PostgreSQL, one versitygw, N replicas) with THUMBFORGE_MAX_CONCURRENT_OPERATIONS = ${TOTAL_CONCURRENCY} / N, tenants created round-robin over the replicas.`,
    'Each cell is the time and, in brackets, its ratio to the bare Automation API. One run of each, after a warm-up stack or tenant; the machine is shared, so read ratios, not seconds.',
    '',
    `| | ${runs.map((run) => run.label).join(' | ')} |`,
    `|---|${runs.map(() => '---').join('|')}|`,
    row(`${TENANTS} tenants, first create to all ready`, (run) => run.wallMs),
    row('1 tenant alone, create to ready', (run) => run.soloMs),
    row('median, create to ready', (run) => median(run.readyMs)),
    row('median engine run of one `up`', (run) => median(run.upMs)),
    '',
    'The service\'s `up` refreshes first and adopts creates a killed engine left pending (an export, and an import when there are any); the bare `up` does neither.',
    'Create to ready through the service also holds the job queue\'s fetch (workers poll every second) and the API poll that sees the tenant ready (every 100 ms).',
    '',
    `Machine: ${process.platform} ${process.arch}, ${cpus().length} × ${cpus()[0]?.model.trim()}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
  ].join('\n');
  await writeFile(RESULT, table);
  console.log(`\n${table}`);
}

await main();
