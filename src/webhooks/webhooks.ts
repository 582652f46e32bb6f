// Starts the webhook side of a replica on a database and a job engine: the delivery queues, the
// event sink producers publish to, the endpoints the API drives, and this replica's delivery
// workers. `stop` takes no new jobs and ends the attempts in flight (their jobs are retried).
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { defineQueues } from '../db/job-engine.js';
import type { WebhookEventSink } from '../domain/webhook-events.js';
import type { HostResolver } from './endpoint-address.js';
import { DELIVERIES_DEAD_LETTER_QUEUE, DELIVERIES_QUEUE, deliveryQueues } from './delivery-queue.js';
import { createDeadDeliveryHandler, createDeliveryWorker, type WebhookMetrics } from './delivery-worker.js';
import { createWebhookEventSink } from './event-sink.js';
import { createSecretBox } from './signing-secrets.js';
import { createWebhookEndpoints } from './webhook-endpoints.js';
import type { WebhookEndpoints } from './webhook-types.js';

/** Attempts one replica makes at once. */
const DELIVERY_CONCURRENCY = 8;
/** How often an idle worker looks for a retry that has come due (sends wake it at once). */
const RETRY_POLLING_SECONDS = 1;

export type WebhooksOptions = {
  db: Database;
  boss: PgBoss;
  /** The key endpoint secrets are sealed under, the same on every replica. */
  secretKey: string;
  /** The local target: endpoints may be loopback receivers. */
  allowLoopback: boolean;
  maxAttempts: number;
  retryDelaySeconds: number;
  timeoutSeconds: number;
  /** The system resolver unless given. */
  resolve?: HostResolver;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics?: WebhookMetrics;
};

export type Webhooks = {
  endpoints: WebhookEndpoints;
  /** Where producers (the tenant lifecycle, the catalog) publish events. */
  events: WebhookEventSink;
  stop(): Promise<void>;
};

export async function startWebhooks(options: WebhooksOptions): Promise<Webhooks> {
  const { db, boss } = options;
  await defineQueues(boss, deliveryQueues(options));
  const secrets = createSecretBox(options.secretKey);
  const policy = { allowLoopback: options.allowLoopback };
  const shutdown = new AbortController();
  const deliver = createDeliveryWorker({
    db,
    secrets,
    attempt: { policy, timeoutMs: options.timeoutSeconds * 1000, resolve: options.resolve },
    shutdown: shutdown.signal,
    logger: options.logger,
    metrics: options.metrics,
  });
  const running = new Set<Promise<unknown>>();
  const track = async (work: Promise<unknown>) => {
    running.add(work);
    try {
      await work;
    } finally {
      running.delete(work);
    }
  };
  await boss.work(
    DELIVERIES_QUEUE,
    { includeMetadata: true, localConcurrency: DELIVERY_CONCURRENCY, pollingIntervalSeconds: RETRY_POLLING_SECONDS, notifyPollingIntervalSeconds: RETRY_POLLING_SECONDS },
    (jobs) => track(deliver(jobs)),
  );
  await boss.work(DELIVERIES_DEAD_LETTER_QUEUE, { includeMetadata: true }, createDeadDeliveryHandler({ db }));

  return {
    endpoints: createWebhookEndpoints({ db, boss, secrets, policy, resolve: options.resolve }),
    events: createWebhookEventSink({ db, boss }),
    async stop() {
      await Promise.all([DELIVERIES_QUEUE, DELIVERIES_DEAD_LETTER_QUEUE].map((queue) => boss.offWork(queue, { wait: false })));
      shutdown.abort();
      await Promise.allSettled(running);
    },
  };
}
