// The records the webhooks keep and the interface the server drives them through. The server sees
// endpoints and deliveries only: never a signing secret past its creation, a job or a SQL row.
import type { WebhookEventType } from '../domain/webhook-events.js';
import type { Page, PageRequest } from '../tenants/tenant-types.js';

export type { Page, PageRequest };

export type WebhookEndpoint = {
  id: string;
  tenantId: string;
  url: string;
  /** The event types it is sent; null: every type, including ones added later. */
  eventTypes: WebhookEventType[] | null;
  createdAt: string;
};

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One attempt at sending a message: what the endpoint answered, or why there was no answer. */
export type DeliveryAttempt = { attempt: number; startedAt: string; durationMs: number; responseStatus?: number; error?: string };

/** One message to one endpoint; its id is the `webhook-id` header of every attempt. */
export type WebhookDelivery = {
  id: string;
  endpointId: string;
  eventType: WebhookEventType;
  /** The exact body every attempt sends: `{type, timestamp, data}`. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  lastResponseStatus?: number;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
  failedAt?: string;
  /** When a pending delivery's next attempt is due. */
  nextAttemptAt?: string;
  /** Its attempts, newest first. */
  log: DeliveryAttempt[];
};

export interface WebhookEndpoints {
  /** A new endpoint and its signing secret (in this answer only). Throws WebhookUrlRefused, or TenantNotFound. */
  create(tenantId: string, input: { url: string; eventTypes?: WebhookEventType[] }): Promise<{ endpoint: WebhookEndpoint; secret: string }>;
  /** The tenant's endpoints, newest first; throws TenantNotFound, or InvalidRequest for a bad cursor. */
  list(tenantId: string, page: PageRequest): Promise<Page<WebhookEndpoint>>;
  /** Removes the endpoint and its deliveries (a pending one is never sent). Throws WebhookEndpointNotFound. */
  remove(tenantId: string, endpointId: string): Promise<void>;
  /** The endpoint's delivery log, newest first. Throws WebhookEndpointNotFound, or InvalidRequest for a bad cursor. */
  deliveries(tenantId: string, endpointId: string, page: PageRequest): Promise<Page<WebhookDelivery>>;
  /** Sends the message again now, under the same webhook-id, with a fresh set of attempts. Throws WebhookDeliveryNotFound. */
  redeliver(tenantId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery>;
}
