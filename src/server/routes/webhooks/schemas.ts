// The shapes /webhooks answers with and the views that build them from the webhooks' records. A
// view never carries an endpoint's signing secret: only its creation's answer does.
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../../domain/webhook-events.js';
import { DELIVERY_STATUSES, type WebhookDelivery, type WebhookEndpoint } from '../../../webhooks/webhook-types.js';
import { pageQuery, recordIdSchema } from '../tenants/schemas.js';
import { tenantQuery } from '../videos/schemas.js';

const eventType = z.enum(WEBHOOK_EVENT_TYPES);

/** The URL's length bound; the rules it must meet are the service's (see the route's description). */
const MAX_URL_LENGTH = 2048;

export const endpointBody = z
  .object({
    url: z.url().max(MAX_URL_LENGTH).describe('https, or on the local target http to a loopback receiver (127.0.0.0/8, ::1, localhost)'),
    events: z.array(eventType).min(1).optional().describe('the event types it is sent; left out: every type, including ones added later'),
  })
  .strict();

export const endpointParams = z.object({ id: recordIdSchema });

/** A delivery's id: the `webhook-id` of its message (`msg_` and a ULID). */
export const deliveryIdSchema = z.string().regex(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/, 'a delivery id as this API gives out (msg_ and 26 characters)');

export const deliveryParams = endpointParams.extend({ deliveryId: deliveryIdSchema });

export const endpointListQuery = tenantQuery.extend(pageQuery.shape);
export const deliveryListQuery = tenantQuery.extend({ ...pageQuery.shape, cursor: deliveryIdSchema.optional() });

export const endpointView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(eventType).nullable().describe('null: every event type'),
  createdAt: z.string(),
});

const attemptView = z.object({
  attempt: z.number().int().describe('1 for the first attempt; a redelivery goes on counting'),
  startedAt: z.string(),
  durationMs: z.number().int(),
  responseStatus: z.number().int().optional().describe("the endpoint's answer, when it answered"),
  error: z.string().optional().describe('why there was no answer: a timeout, a refused address, a connection failure'),
});

export const deliveryView = z.object({
  id: z.string().describe('the webhook-id header of every attempt'),
  eventType,
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  lastResponseStatus: z.number().int().optional(),
  lastError: z.string().optional(),
  createdAt: z.string(),
  deliveredAt: z.string().optional().describe('the last attempt that got a 2xx'),
  failedAt: z.string().optional().describe('when its attempts ran out'),
  nextAttemptAt: z.string().optional().describe('a pending delivery: when its next attempt is due'),
  payload: z.object({ type: eventType, timestamp: z.string(), data: z.record(z.string(), z.unknown()) }).describe('the body every attempt sends'),
  log: z.array(attemptView).describe('its attempts, newest first'),
});

export function viewEndpoint(endpoint: WebhookEndpoint): z.infer<typeof endpointView> {
  return { id: endpoint.id, url: endpoint.url, events: endpoint.eventTypes, createdAt: endpoint.createdAt };
}

export function viewDelivery(delivery: WebhookDelivery): z.infer<typeof deliveryView> {
  const { id, eventType, status, attempts, lastResponseStatus, lastError, createdAt, deliveredAt, failedAt, nextAttemptAt, log } = delivery;
  return { id, eventType, status, attempts, lastResponseStatus, lastError, createdAt, deliveredAt, failedAt, nextAttemptAt, payload: JSON.parse(delivery.payload), log };
}
