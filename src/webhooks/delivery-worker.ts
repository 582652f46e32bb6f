// Runs the delivery jobs: each job is one attempt at a delivery, recorded in its log, and the
// delivery is marked delivered on a 2xx, failed after its last attempt, pending otherwise (the job
// then fails, so the job engine schedules the next attempt with its backoff). A job that no longer
// carries a pending delivery (the endpoint was deleted, a redelivery replaced the job, or the
// attempt was made but its job not completed) sends nothing. The dead letter ends a delivery whose
// last attempt never got to record itself. It never logs a secret or a payload, and never lets an
// outcome of the endpoint escape as anything but a retry.
import type { JobWithMetadata } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { readJobPayload } from '../db/job-engine.js';
import { attemptDelivery, type AttemptOptions, type AttemptOutcome } from './delivery-attempt.js';
import { deliveryJobPayload } from './delivery-queue.js';
import type { SecretBox } from './signing-secrets.js';
import { failDelivery, messageToSend, recordAttempt } from './webhook-records.js';
import type { DeliveryStatus } from './webhook-types.js';

/** Where attempts are reported as they end (the service's metrics). */
export type WebhookMetrics = { webhookAttempted(attempt: { outcome: AttemptOutcome['outcome']; seconds: number }): void };

/** Thrown after an attempt that did not deliver, so the job engine schedules the next one. */
export class DeliveryNotYetMade extends Error {
  override readonly name = 'DeliveryNotYetMade';
}

export type DeliveryWorkerDeps = {
  db: Database;
  secrets: SecretBox;
  attempt: Omit<AttemptOptions, 'signal'>;
  /** Aborted when the replica stops: attempts in flight end at once (and are retried). */
  shutdown: AbortSignal;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics?: WebhookMetrics;
};

/** The log's error for an attempt that could not be signed: nothing was sent. */
const UNOPENED_SECRET = "not sent: the service cannot open the endpoint's signing secret (its key changed)";

/** Its data is read (and checked) by readJobPayload. */
type DeliveryJob = JobWithMetadata<unknown>;

export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { db, logger } = deps;
  return async ([job]: DeliveryJob[]) => {
    const { deliveryId } = readJobPayload(deliveryJobPayload, job!.data);
    const message = await messageToSend(db, deliveryId);
    if (!message || message.jobId !== job!.id || message.status !== 'pending') return;

    const startedAt = new Date();
    const started = performance.now();
    let secret: string;
    try {
      secret = deps.secrets.open(message.endpointId, message.sealedSecret);
    } catch {
      logger.error({ deliveryId, endpointId: message.endpointId }, 'the endpoint signing secret cannot be opened (sealed under another THUMBFORGE_WEBHOOK_SECRET_KEY?)');
      await recordAttempt(db, { deliveryId, jobId: job!.id, status: job!.retryCount >= job!.retryLimit ? 'failed' : 'pending', startedAt, durationMs: 0, error: UNOPENED_SECRET });
      throw new DeliveryNotYetMade(`delivery ${deliveryId}: ${UNOPENED_SECRET}`);
    }
    const result = await attemptDelivery({ id: message.id, url: message.url, payload: message.payload, secret }, { ...deps.attempt, signal: AbortSignal.any([deps.shutdown, job!.signal]) });
    const seconds = (performance.now() - started) / 1000;
    deps.metrics?.webhookAttempted({ outcome: result.outcome, seconds });

    const lastAttempt = job!.retryCount >= job!.retryLimit;
    const status: DeliveryStatus = result.outcome === 'delivered' ? 'delivered' : lastAttempt ? 'failed' : 'pending';
    const attempt = await recordAttempt(db, {
      deliveryId,
      jobId: job!.id,
      status,
      startedAt,
      durationMs: Math.round(seconds * 1000),
      ...('status' in result ? { responseStatus: result.status } : { error: result.error }),
    });
    const log = { deliveryId, endpointId: message.endpointId, attempt, outcome: result.outcome, ...('status' in result ? { responseStatus: result.status } : {}) };
    if (status === 'delivered') {
      logger.info(log, 'webhook delivered');
      return;
    }
    if (status === 'failed') logger.warn(log, 'webhook delivery failed: no attempts left');
    else logger.info(log, 'webhook attempt did not deliver; retrying');
    throw new DeliveryNotYetMade(`attempt ${attempt ?? '?'} of delivery ${deliveryId}: ${'status' in result ? `status ${result.status}` : result.error}`);
  };
}

/** The dead letter: a delivery its job gave up on while still pending (a replica died on the last attempt) ends as failed. */
export function createDeadDeliveryHandler(deps: { db: Database }) {
  return async ([job]: DeliveryJob[]) => {
    const { deliveryId } = readJobPayload(deliveryJobPayload, job!.data);
    if (job!.sourceId) await failDelivery(deps.db, deliveryId, job!.sourceId, 'no attempts left (the last one ended without an answer being recorded)');
  };
}
