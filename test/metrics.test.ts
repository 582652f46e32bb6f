// The service's metrics registry on its own: two in one process keep their series apart, the
// queues' backlog is read once per scrape, and a scrape still answers when that read fails.
import t from 'tap';
import { createServiceMetrics } from '../src/metrics.js';

const backlog = [{ queue: 'tenant-operations', waiting: 3, active: 1, oldestWaitingSeconds: 12.5 }];

t.test('two registries in one process keep their own series', async (t) => {
  const first = createServiceMetrics();
  const second = createServiceMetrics();
  first.requestFinished({ method: 'GET', route: '/tenants/:id', status: 200, seconds: 0.01 });
  first.operationFinished({ kind: 'up', outcome: 'succeeded', seconds: 7 });
  t.match(await first.scrape(), /thumbforge_http_request_duration_seconds_count\{method="GET",route="\/tenants\/:id",status="200"\} 1\n/);
  t.match(await first.scrape(), /thumbforge_operation_duration_seconds_count\{kind="up",outcome="succeeded"\} 1\n/);
  t.notMatch(await second.scrape(), /route="\/tenants\/:id"/, 'the other registry saw nothing');
  t.match(await second.scrape(), /^process_resident_memory_bytes \d+$/m, 'each has the process metrics');
});

t.test('the queue gauges read the backlog once per scrape', async (t) => {
  const metrics = createServiceMetrics();
  t.notMatch(await metrics.scrape(), /thumbforge_queue_depth\{/, 'no queue series before a source is given');
  let reads = 0;
  metrics.readQueuesFrom(async () => (reads++, backlog), { warn: () => t.fail('no warning') });
  const text = await metrics.scrape();
  t.equal(reads, 1, 'one read for the three gauges');
  t.match(text, /thumbforge_queue_depth\{queue="tenant-operations"\} 3\n/);
  t.match(text, /thumbforge_queue_active_jobs\{queue="tenant-operations"\} 1\n/);
  t.match(text, /thumbforge_queue_oldest_job_age_seconds\{queue="tenant-operations"\} 12\.5\n/);
});

t.test('a scrape answers without the queue series when the backlog cannot be read', async (t) => {
  const metrics = createServiceMetrics();
  const warnings: string[] = [];
  let failing = false;
  metrics.readQueuesFrom(
    async () => {
      if (failing) throw new Error('the database is gone');
      return backlog;
    },
    { warn: (_details, message) => warnings.push(message ?? '') },
  );
  t.match(await metrics.scrape(), /thumbforge_queue_depth\{queue="tenant-operations"\} 3/);
  failing = true;
  const text = await metrics.scrape();
  t.notMatch(text, /thumbforge_queue_depth\{/, 'no stale queue values');
  t.match(text, /process_resident_memory_bytes/, 'the rest is there');
  t.same(warnings, ['queue metrics unavailable']);
});
