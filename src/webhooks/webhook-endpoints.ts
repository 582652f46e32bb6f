// The webhook endpoints the API drives: create (the URL checked, the secret made, sealed and shown
// once), list, delete, the delivery log (with each pending delivery's next attempt, as the job
// engine has scheduled it), and redelivery (a new job for the same message, in one transaction
// with the row). Every call is scoped to one tenant: another tenant's endpoint is not found.
import { randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import { ulid } from 'ulid';
import { asJobDb, type Database } from '../db/database.js';
import { sendJob } from '../db/job-engine.js';
import { InvalidRequest, TenantNotFound, WebhookDeliveryNotFound, WebhookEndpointNotFound } from '../domain/errors.js';
import { checkEndpointUrl, systemResolver, type AddressPolicy, type HostResolver } from './endpoint-address.js';
import { DELIVERIES_QUEUE, deliveryJobPayload } from './delivery-queue.js';
import { newSigningSecret, type SecretBox } from './signing-secrets.js';
import * as records from './webhook-records.js';
import type { Page, WebhookDelivery, WebhookEndpoints } from './webhook-types.js';

export type WebhookEndpointsDeps = { db: Database; boss: PgBoss; secrets: SecretBox; policy: AddressPolicy; resolve?: HostResolver };

function pageOrBadCursor<T>(page: Page<T> | undefined): Page<T> {
  if (!page) throw new InvalidRequest('the cursor is not one this list gave out (use nextCursor from the previous page)');
  return page;
}

export function createWebhookEndpoints(deps: WebhookEndpointsDeps): WebhookEndpoints {
  const { db, boss } = deps;

  async function endpointOf(tenantId: string, endpointId: string) {
    const endpoint = await records.getEndpoint(db, tenantId, endpointId);
    if (!endpoint) {
      if (!(await records.tenantExists(db, tenantId))) throw new TenantNotFound(tenantId);
      throw new WebhookEndpointNotFound(tenantId, endpointId);
    }
    return endpoint;
  }

  /** The delivery with its next attempt's time, read from its job while it waits. */
  async function withNextAttempt({ delivery, jobId }: records.DeliveryRecord): Promise<WebhookDelivery> {
    if (delivery.status !== 'pending' || !jobId) return delivery;
    const [job] = await boss.findJobs(DELIVERIES_QUEUE, { id: jobId });
    const waiting = job && (job.state === 'created' || job.state === 'retry');
    return waiting ? { ...delivery, nextAttemptAt: new Date(job.startAfter).toISOString() } : delivery;
  }

  return {
    async create(tenantId, input) {
      const url = await checkEndpointUrl(input.url, deps.policy, deps.resolve ?? systemResolver);
      const eventTypes = input.eventTypes ? [...new Set(input.eventTypes)].sort() : null;
      const secret = newSigningSecret();
      const id = ulid();
      const endpoint = await db.transaction(async (tx) => {
        if (!(await records.tenantExists(tx, tenantId))) throw new TenantNotFound(tenantId);
        return records.insertEndpoint(tx, { id, tenantId, url, eventTypes, sealedSecret: deps.secrets.seal(id, secret) });
      });
      return { endpoint, secret };
    },

    async list(tenantId, page) {
      if (!(await records.tenantExists(db, tenantId))) throw new TenantNotFound(tenantId);
      return pageOrBadCursor(await records.listEndpoints(db, tenantId, page));
    },

    async remove(tenantId, endpointId) {
      if (!(await records.deleteEndpoint(db, tenantId, endpointId))) await endpointOf(tenantId, endpointId);
    },

    async deliveries(tenantId, endpointId, page) {
      await endpointOf(tenantId, endpointId);
      const found = pageOrBadCursor(await records.listDeliveries(db, endpointId, page));
      return { items: await Promise.all(found.items.map(withNextAttempt)), nextCursor: found.nextCursor };
    },

    async redeliver(tenantId, endpointId, deliveryId) {
      await endpointOf(tenantId, endpointId);
      const redelivered = await db.transaction(async (tx) => {
        const found = await records.getDelivery(tx, endpointId, deliveryId, { forUpdate: true });
        if (!found) throw new WebhookDeliveryNotFound(endpointId, deliveryId);
        // A job still waiting to retry is dropped: the new one is the delivery's from now on.
        if (found.jobId) await boss.cancel(DELIVERIES_QUEUE, found.jobId, { db: asJobDb(tx) });
        const jobId = randomUUID();
        await records.replaceDeliveryJob(tx, deliveryId, jobId);
        await sendJob(boss, DELIVERIES_QUEUE, deliveryJobPayload, { deliveryId }, { db: asJobDb(tx), id: jobId });
        return (await records.getDelivery(tx, endpointId, deliveryId))!;
      });
      return withNextAttempt(redelivered);
    },
  };
}
