// The read bench's load, shared by bench/reads.ts and bench/memory.ts: a tenant seeded with 50
// videos × 2 widths (100 thumbnails) through POST /videos and the real thumbnailer, then `wrk`
// (Debian's package) driving GET /healthz and the catalog's three reads at 50 connections, one
// route after the other. It only reads wrk's own report; it never times a request itself.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { makeVideo } from '../test/helpers/videos.js';

const run = promisify(execFile);

export const READ_LOAD = { tenant: 'bench', videos: 50, widths: [96, 160], connections: 50, secondsPerRoute: 15 } as const;
const WAIT_MS = 600_000;
const POLL_MS = 500;

/** One route of the load: its path and the bearer token it is read with (none for /healthz). */
export type ReadRoute = { path: string; token?: string };

export type RouteMeasure = { path: string; requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: string };

type Service = { url: string; adminToken: string };

/** Throws when wrk is missing (Debian: apt-get install wrk). */
export async function requireWrk(): Promise<void> {
  await run('wrk', ['--version']).catch((error: { code?: string }) => {
    // wrk prints its version and exits 1.
    if (error.code === 'ENOENT') throw new Error('wrk is not installed: apt-get install wrk');
  });
}

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Creates the bench tenant, uploads READ_LOAD.videos one-second videos (made with ffmpeg in
 * `workDir`) and waits until the catalog lists every video ready with its thumbnails. Resolves with
 * the routes to drive: /healthz first (the baseline), then the reads with the tenant's key.
 */
export async function seedReadTenant(service: Service, workDir: string): Promise<ReadRoute[]> {
  const admin = { authorization: `Bearer ${service.adminToken}`, 'content-type': 'application/json' };
  const created = await fetch(`${service.url}/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ id: READ_LOAD.tenant, thumbnail: { widths: READ_LOAD.widths } }) });
  if (created.status !== 202) throw new Error(`POST /tenants answered ${created.status}: ${await created.text()}`);
  const { apiKey } = (await created.json()) as { apiKey: string };
  await until(async () => {
    const tenant = (await (await fetch(`${service.url}/tenants/${READ_LOAD.tenant}`, { headers: admin })).json()) as { status: string };
    if (tenant.status === 'failed') throw new Error('the bench tenant failed to provision');
    return tenant.status === 'ready' ? true : undefined;
  }, 'the bench tenant');

  const tenantApi = (path: string, init: RequestInit = {}) => fetch(`${service.url}${path}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } });
  const video = await readFile(await makeVideo(workDir, { name: 'clip.mp4', seconds: 1, width: 320, height: 180 }));
  for (let i = 0; i < READ_LOAD.videos; i += 1) {
    const form = new FormData();
    form.append('file', new Blob([video]), `clip-${i}.mp4`);
    const answer = await tenantApi('/videos', { method: 'POST', body: form });
    if (answer.status !== 201) throw new Error(`POST /videos answered ${answer.status}: ${await answer.text()}`);
    await answer.body?.cancel();
  }
  const thumbnails = READ_LOAD.videos * READ_LOAD.widths.length;
  const ready = await until(async () => {
    const page = (await (await tenantApi('/videos?status=ready&limit=100')).json()) as { items: Array<{ id: string }> };
    const listed = (await (await tenantApi('/thumbnails?limit=100')).json()) as { items: unknown[] };
    return page.items.length === READ_LOAD.videos && listed.items.length === thumbnails ? page.items : undefined;
  }, `${READ_LOAD.videos} videos ready with ${thumbnails} thumbnails`);
  return [{ path: '/healthz' }, { path: '/thumbnails?limit=100', token: apiKey }, { path: '/videos?limit=100', token: apiKey }, { path: `/videos/${ready[0]!.id}`, token: apiKey }];
}

/** wrk's latency as milliseconds ("812.00us", "3.20ms", "1.02s"). */
function milliseconds(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`wrk latency not understood: ${text}`);
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
}

export async function driveRoute(url: string, route: ReadRoute): Promise<RouteMeasure> {
  const headers = route.token ? ['-H', `authorization: Bearer ${route.token}`] : [];
  const { stdout } = await run('wrk', ['-t2', `-c${READ_LOAD.connections}`, `-d${READ_LOAD.secondsPerRoute}s`, '--timeout', '10s', '--latency', ...headers, `${url}${route.path}`], { maxBuffer: 1 << 20 });
  const percentile = (p: string) => milliseconds(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)![1]!);
  const requestsPerSecond = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(stdout)![1]);
  const errors = [/Socket errors:.*$/m.exec(stdout)?.[0], /Non-2xx or 3xx responses: \d+/.exec(stdout)?.[0]].filter(Boolean).join('; ');
  return { path: route.path, requestsPerSecond, p50Ms: percentile('50'), p99Ms: percentile('99'), errors };
}

/** Every route in turn; `onMeasured` hears each as it finishes. */
export async function driveReads(url: string, routes: ReadRoute[], onMeasured: (measure: RouteMeasure) => void = () => {}): Promise<RouteMeasure[]> {
  const measured: RouteMeasure[] = [];
  for (const route of routes) {
    const measure = await driveRoute(url, route);
    measured.push(measure);
    onMeasured(measure);
  }
  return measured;
}

/** A route as a table shows it: the video id of GET /videos/:id as `:id`. */
export const routeLabel = (path: string) => (/^\/videos\/[^/?]+$/.test(path) ? '/videos/:id' : path);
