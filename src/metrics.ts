// The metrics of one running service: its own prom-client registry (never prom-client's global
// one, so two services in one process keep theirs apart), the metric families, and the sinks the
// HTTP app, the tenant operations, the function runner and the webhook deliveries report to. It
// never labels a series by tenant, video, key, endpoint or raw URL: only by route pattern, status,
// kind, outcome and queue name.
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueBacklog } from './db/job-engine.js';

/** Operations last from seconds (a refresh) to the operation timeout (30 min by default). */
const OPERATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800];
/** An invocation is bounded by Lambda's 15 minutes. */
const INVOCATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900];
/** A webhook attempt is bounded by its timeout (10 s by default, 60 s at most). */
const WEBHOOK_ATTEMPT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
/** A scrape never waits longer than this on the database for the queues' backlog. */
const QUEUE_READ_TIMEOUT_MS = 2_000;

type MetricsLogger = { warn(details: object, message?: string): void };

/** The work's result, or a rejection once `ms` have passed (the work itself goes on; a late result is dropped). */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function createServiceMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Histogram({
    name: 'thumbforge_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status, and how long each took to answer (its _count is the request counter)',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const operations = new Histogram({
    name: 'thumbforge_operation_duration_seconds',
    help: 'Tenant operations that ended, by kind and outcome, and how long their last attempt ran (its _count is the operation counter)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: OPERATION_BUCKETS,
    registers: [registry],
  });
  const invocations = new Histogram({
    name: 'thumbforge_function_invocation_duration_seconds',
    help: 'Thumbnailer function invocations by the local function runner, by outcome, and how long each took (its _count is the invocation counter)',
    labelNames: ['outcome'] as const,
    buckets: INVOCATION_BUCKETS,
    registers: [registry],
  });
  const webhookAttempts = new Histogram({
    name: 'thumbforge_webhook_attempt_duration_seconds',
    help: 'Webhook delivery attempts by outcome (delivered, rejected: a non-2xx answer, timed-out, refused: a forbidden address, unreachable), and how long each took (its _count is the attempt counter)',
    labelNames: ['outcome'] as const,
    buckets: WEBHOOK_ATTEMPT_BUCKETS,
    registers: [registry],
  });

  // The queues' backlog is read when scraped, once for all three gauges (their collects run together).
  let backlogSource: { read(): Promise<QueueBacklog[]>; logger: MetricsLogger } | undefined;
  let reading: Promise<QueueBacklog[] | undefined> | undefined;
  const readBacklog = () =>
    (reading ??= (async () => {
      if (!backlogSource) return undefined;
      const { read, logger } = backlogSource;
      try {
        return await within(read(), QUEUE_READ_TIMEOUT_MS, 'reading the queue backlog');
      } catch (error) {
        // A scrape still answers: the queue series are left out until the database answers again.
        logger.warn({ err: error }, 'queue metrics unavailable');
        return undefined;
      }
    })().finally(() => (reading = undefined)));
  const backlogGauge = (name: string, help: string, value: (backlog: QueueBacklog) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        const backlog = await readBacklog();
        this.reset();
        for (const queue of backlog ?? []) this.set({ queue: queue.queue }, value(queue));
      },
    });
  backlogGauge('thumbforge_queue_depth', 'Jobs waiting in each job-engine queue (queued, deferred or retrying)', (queue) => queue.waiting);
  backlogGauge('thumbforge_queue_active_jobs', 'Jobs running now from each job-engine queue, on any replica', (queue) => queue.active);
  backlogGauge(
    'thumbforge_queue_oldest_job_age_seconds',
    'How long the oldest job of each queue that may run now has waited (0 when none waits)',
    (queue) => queue.oldestWaitingSeconds,
  );

  return {
    contentType: registry.contentType,
    /** The text exposition of every metric, read now. */
    scrape: () => registry.metrics(),
    /** Where the queues' backlog is read from, once the database and the job engine are up. */
    readQueuesFrom(read: () => Promise<QueueBacklog[]>, logger: MetricsLogger) {
      backlogSource = { read, logger };
    },
    requestFinished(request: { method: string; route: string; status: number; seconds: number }) {
      httpRequests.observe({ method: request.method, route: request.route, status: String(request.status) }, request.seconds);
    },
    operationFinished(operation: { kind: string; outcome: string; seconds: number }) {
      operations.observe({ kind: operation.kind, outcome: operation.outcome }, operation.seconds);
    },
    invocationFinished(invocation: { outcome: string; seconds: number }) {
      invocations.observe({ outcome: invocation.outcome }, invocation.seconds);
    },
    webhookAttempted(attempt: { outcome: string; seconds: number }) {
      webhookAttempts.observe({ outcome: attempt.outcome }, attempt.seconds);
    },
  };
}
