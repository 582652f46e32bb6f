// GET /metrics on a real local service: admin only and documented, then its values move as the
// service works: requests counted by route pattern and status, a tenant operation waiting in the
// queue and then ending, and a thumbnail invocation. Every wait is on a condition, never a clock.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { OPERATIONS_QUEUE } from '../../src/tenants/operation-queue.js';
import { tempDir } from '../helpers/local-store.js';
import { processFreezer } from '../helpers/processes.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { eventually } from '../helpers/stacks.js';
import { makeVideo } from '../helpers/videos.js';

type Json = Record<string, any>;
type Sample = { name: string; labels: Record<string, string>; value: number };

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = SAMPLE_LINE.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map(([, name, value]) => [name!, value!]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** The sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value));
  return found.length ? found.reduce((sum, sample) => sum + sample.value, 0) : undefined;
}

async function scrape(service: TestService): Promise<Sample[]> {
  const response = await service.api('/metrics');
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return parseExposition(await response.text());
}

/** Scrapes until `check` holds for the samples, and answers them. */
const scrapeUntil = (service: TestService, check: (samples: Sample[]) => boolean, what: string) =>
  eventually(async () => {
    const samples = await scrape(service);
    return check(samples) ? samples : undefined;
  }, what);

const requests = (method: string, route: string, status: number) => ({ method, route, status: String(status) });
const REQUESTS = 'thumbforge_http_request_duration_seconds_count';
const OPERATIONS = 'thumbforge_operation_duration_seconds';
const INVOCATIONS = 'thumbforge_function_invocation_duration_seconds';
const operationsQueue = { queue: OPERATIONS_QUEUE };

async function expectProblem(t: Test, response: Response, status: number, what: string) {
  t.equal(response.status, status, `${what}: ${status}`);
  t.match(response.headers.get('content-type'), /^application\/problem\+json/, `${what}: problem+json`);
  t.match(await response.json(), { status, detail: String }, `${what}: a problem`);
}

t.test('GET /metrics', async (t) => {
  // One operation at a time, so a second tenant's `up` waits in the queue behind the first.
  const service = await startTestService(t, { THUMBFORGE_MAX_CONCURRENT_OPERATIONS: '1' });
  const dir = await tempDir(t);
  const { freeze, thaw } = processFreezer(t, service.objectStorePid());

  t.test('needs the admin token, and is in the API document', async (t) => {
    await expectProblem(t, await service.api('/metrics', { token: null }), 401, 'no token');
    await expectProblem(t, await service.api('/metrics', { token: 'not-the-admin-token' }), 401, 'an unknown token');
    const document = (await (await service.api('/openapi.json', { token: null })).json()) as Json;
    const responses = document.paths['/metrics']?.get?.responses ?? {};
    t.ok(responses['200']?.content?.['text/plain; version=0.0.4; charset=utf-8'], '200 in the Prometheus text format');
    for (const status of ['401', '403']) t.ok(responses[status]?.content?.['application/problem+json']?.schema, `${status} documented as problem+json`);
  });

  t.test('serves the process metrics and every queue, in the Prometheus text format', async (t) => {
    const response = await service.api('/metrics');
    t.equal(response.status, 200);
    t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await response.text());
    t.ok(valueOf(samples, 'process_resident_memory_bytes')! > 0, 'resident memory');
    t.ok(valueOf(samples, 'nodejs_heap_size_used_bytes')! > 0, 'heap');
    t.equal(valueOf(samples, 'thumbforge_queue_depth', operationsQueue), 0, 'the operations queue, empty');
    t.equal(valueOf(samples, 'thumbforge_queue_oldest_job_age_seconds', operationsQueue), 0, 'nothing in it has waited');
    t.equal(valueOf(samples, 'thumbforge_queue_active_jobs', operationsQueue), 0, 'nothing running');
    t.not(valueOf(samples, 'thumbforge_queue_depth', { queue: 'local-object-events' }), undefined, 'the object-event queue too');
    // The 401s above were counted (a request is counted once answered, so wait for it).
    await scrapeUntil(service, (now) => valueOf(now, REQUESTS, requests('GET', '/metrics', 401)) === 2, 'the two 401s counted');
  });

  let keyA = '';
  t.test('a queued operation shows in the queue, then as an operation that succeeded', async (t) => {
    const before = await scrape(service);
    // The store frozen: the first `up` waits on its bucket call, so the second waits in the queue.
    freeze();
    const createdA = await service.api('/tenants', { method: 'POST', json: { id: 'acme' } });
    const createdB = await service.api('/tenants', { method: 'POST', json: { id: 'globex' } });
    t.equal(createdA.status, 202);
    t.equal(createdB.status, 202);
    keyA = ((await createdA.json()) as Json).apiKey;
    await expectProblem(t, await service.api('/metrics', { token: keyA }), 403, 'a tenant key');

    const waiting = await scrapeUntil(
      service,
      (now) =>
        valueOf(now, 'thumbforge_queue_depth', operationsQueue)! >= 1 &&
        valueOf(now, 'thumbforge_queue_active_jobs', operationsQueue)! >= 1 &&
        valueOf(now, 'thumbforge_queue_oldest_job_age_seconds', operationsQueue)! > 0,
      'an operation waiting behind a running one',
    );
    t.equal(valueOf(waiting, REQUESTS, requests('POST', '/tenants', 202)), (valueOf(before, REQUESTS, requests('POST', '/tenants', 202)) ?? 0) + 2, 'both creates counted');
    t.equal(valueOf(waiting, REQUESTS, requests('GET', '/metrics', 403)), 1, 'the 403 counted');
    t.equal(valueOf(waiting, `${OPERATIONS}_count`, { kind: 'up' }), undefined, 'no operation has ended yet');

    thaw();
    const ended = await scrapeUntil(service, (now) => valueOf(now, `${OPERATIONS}_count`, { kind: 'up', outcome: 'succeeded' }) === 2, 'both ups succeeded');
    t.ok(valueOf(ended, `${OPERATIONS}_sum`, { kind: 'up', outcome: 'succeeded' })! > 0, 'with their durations');
    t.equal(valueOf(ended, `${OPERATIONS}_bucket`, { kind: 'up', outcome: 'succeeded', le: '+Inf' }), 2, 'in the histogram');
    await scrapeUntil(
      service,
      (now) => valueOf(now, 'thumbforge_queue_depth', operationsQueue) === 0 && valueOf(now, 'thumbforge_queue_oldest_job_age_seconds', operationsQueue) === 0,
      'the operations queue empty again',
    );
    for (const id of ['acme', 'globex']) {
      await eventually(async () => ((await (await service.api(`/tenants/${id}`)).json()) as Json).status === 'ready', `${id} ready`);
    }
  });

  t.test('a video upload counts its requests by route pattern and its thumbnail invocation', async (t) => {
    const video = await readFile(await makeVideo(dir, { name: 'clip.mp4', seconds: 2 }));
    const form = new FormData();
    form.append('file', new Blob([video]), 'clip.mp4');
    const uploaded = await service.api('/videos', { method: 'POST', token: keyA, body: form });
    t.equal(uploaded.status, 201);
    const { id } = (await uploaded.json()) as Json;
    await eventually(async () => ((await (await service.api(`/videos/${id}`, { token: keyA })).json()) as Json).status === 'ready', 'the video ready');
    t.equal((await service.api('/no-such-path')).status, 404);

    const samples = await scrapeUntil(
      service,
      (now) => valueOf(now, `${INVOCATIONS}_count`, { outcome: 'thumbnails' }) === 1 && valueOf(now, REQUESTS, requests('GET', 'unmatched', 404)) === 1,
      'the invocation and the 404 counted',
    );
    t.ok(valueOf(samples, `${INVOCATIONS}_sum`, { outcome: 'thumbnails' })! > 0, 'the invocation took its time');
    t.equal(valueOf(samples, REQUESTS, requests('POST', '/videos', 201)), 1, 'the upload, by its route');
    t.ok(valueOf(samples, REQUESTS, requests('GET', '/videos/:id', 200))! >= 1, 'the reads, by their route pattern');
    const routes = new Set(samples.filter((sample) => sample.name === REQUESTS).map((sample) => sample.labels.route));
    t.notOk([...routes].some((route) => route?.includes(id)), 'no raw URL is a route label');
    t.ok(valueOf(samples, 'thumbforge_http_request_duration_seconds_sum', requests('POST', '/videos', 201))! > 0, 'with its duration');
  });
});
