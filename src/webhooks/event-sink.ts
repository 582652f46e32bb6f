// Where producers hand webhook events over: one delivery row and one delivery job per endpoint of
// the event's tenant subscribed to its type, all in one transaction (the producer's, when it hands
// one over), so an event is durable for every endpoint or for none. The body (`{type, timestamp, data}`, as Standard Webhooks suggests) is
// fixed here and sent byte for byte on every attempt. It never reaches an endpoint of another tenant.
import { randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import { ulid } from 'ulid';
import { asJobDb, type Database, type Queryable } from '../db/database.js';
import { sendJob } from '../db/job-engine.js';
import type { WebhookEventSink } from '../domain/webhook-events.js';
import { DELIVERIES_QUEUE, deliveryJobPayload } from './delivery-queue.js';
import { endpointsSubscribedTo, insertDelivery } from './webhook-records.js';

/** A message id as Standard Webhooks shows them (`msg_…`): the delivery's id and its `webhook-id`. */
export const newMessageId = () => `msg_${ulid()}`;

export function createWebhookEventSink(deps: { db: Database; boss: PgBoss }): WebhookEventSink {
  return {
    async publish(event, transaction) {
      const payload = JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data: event.data });
      const write = async (tx: Queryable) => {
        for (const endpointId of await endpointsSubscribedTo(tx, event.tenantId, event.type)) {
          const id = newMessageId();
          const jobId = randomUUID();
          await insertDelivery(tx, { id, endpointId, tenantId: event.tenantId, eventType: event.type, payload, jobId });
          await sendJob(deps.boss, DELIVERIES_QUEUE, deliveryJobPayload, { deliveryId: id }, { db: asJobDb(tx), id: jobId });
        }
      };
      await (transaction ? write(transaction) : deps.db.transaction(write));
    },
  };
}
