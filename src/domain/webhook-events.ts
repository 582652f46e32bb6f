// The events a tenant is told about by webhook (the contract's list), as pure facts: their names
// and the shape every producer hands over. Producers (the catalog, the tenant lifecycle) publish;
// src/webhooks stores and delivers. Nothing here does I/O or knows about endpoints.
export const WEBHOOK_EVENT_TYPES = [
  'video.ready',
  'video.failed',
  'video.deleted',
  'tenant.ready',
  'tenant.failed',
  'operation.succeeded',
  'operation.failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One thing that happened to a tenant: `data` is the JSON the receiver gets (a video, a tenant or an operation as the API shows it). */
export type WebhookEvent = { type: WebhookEventType; tenantId: string; data: Record<string, unknown> };

/**
 * A transaction the producer has open (src/db's Queryable inside `transaction`): an event published
 * in it commits with the producer's own change, or not at all.
 */
export type ProducerTransaction = { query<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> };

/**
 * Where producers hand events over. `publish` resolves once the event is durable (a delivery job
 * per matching endpoint). In the producer's transaction, a rejection undoes the producer's change
 * too (the catalog's video events: its job retries both). Without one, a producer logs a rejection
 * and carries on, its own state change stands.
 */
export type WebhookEventSink = { publish(event: WebhookEvent, transaction?: ProducerTransaction): Promise<void> };
