// The tenant-operations queue, as data: one job per operation, strictly in order per tenant
// (key_strict_fifo keyed by tenant id), heartbeats so a dead replica's job moves on, a few
// attempts, then a dead letter that records the operation as failed. Never holds work itself.
import { z } from 'zod';
import { jobPayload, type QueueDefinition } from '../db/job-engine.js';

export const OPERATIONS_QUEUE = 'tenant-operations';
export const OPERATIONS_DEAD_LETTER_QUEUE = 'tenant-operations-dead';
/** Attempts after the first: each one is a replica stopping (or losing the database) mid-operation. */
export const OPERATION_RETRY_LIMIT = 4;

export const operationJobPayload = jobPayload(1, z.object({ operationId: z.string().min(1) }));

export function operationQueues(options: { heartbeatSeconds: number; operationTimeoutSeconds: number }): QueueDefinition[] {
  return [
    {
      name: OPERATIONS_QUEUE,
      policy: 'key_strict_fifo',
      retryLimit: OPERATION_RETRY_LIMIT,
      retryDelay: 1,
      heartbeatSeconds: options.heartbeatSeconds,
      // The operation's own timeout ends the engine run; this only bounds a handler that never returns.
      expireInSeconds: options.operationTimeoutSeconds + 120,
      deadLetter: OPERATIONS_DEAD_LETTER_QUEUE,
      payload: operationJobPayload,
    },
    { name: OPERATIONS_DEAD_LETTER_QUEUE, policy: 'standard', retryLimit: 10, retryDelay: 5, payload: operationJobPayload },
  ];
}
