// The webhook-delivery queues, as data: one job per message and endpoint, retried by the job
// engine with exponential backoff (pg-boss 12: retry n waits retryDelay × 2^(n-1) × (1 + random),
// at most WEBHOOK_RETRY_DELAY_MAX_SECONDS), then a dead letter that ends the delivery as failed if
// its last attempt could not record that itself. Never holds work itself.
import { z } from 'zod';
import { jobPayload, type QueueDefinition } from '../db/job-engine.js';

export const DELIVERIES_QUEUE = 'webhook-deliveries';
export const DELIVERIES_DEAD_LETTER_QUEUE = 'webhook-deliveries-dead';

/** The longest wait between two attempts: with the defaults (16 attempts, 10 s), the last one comes 21.7-25.7 h after the first. */
export const WEBHOOK_RETRY_DELAY_MAX_SECONDS = 4 * 3600;
/** Beyond the attempt's own timeout: time to read the delivery and record the attempt. */
const RECORDING_ALLOWANCE_SECONDS = 60;

export const deliveryJobPayload = jobPayload(1, z.object({ deliveryId: z.string().min(1) }));

export type DeliveryQueueOptions = { maxAttempts: number; retryDelaySeconds: number; timeoutSeconds: number };

export function deliveryQueues(options: DeliveryQueueOptions): QueueDefinition[] {
  return [
    {
      name: DELIVERIES_QUEUE,
      policy: 'standard',
      retryLimit: options.maxAttempts - 1,
      retryDelay: options.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: WEBHOOK_RETRY_DELAY_MAX_SECONDS,
      // A replica that dies mid-attempt leaves its job to expire; it is then retried elsewhere.
      expireInSeconds: options.timeoutSeconds + RECORDING_ALLOWANCE_SECONDS,
      deadLetter: DELIVERIES_DEAD_LETTER_QUEUE,
      notify: true,
      payload: deliveryJobPayload,
    },
    { name: DELIVERIES_DEAD_LETTER_QUEUE, policy: 'standard', retryLimit: 10, retryDelay: 5, payload: deliveryJobPayload },
  ];
}
