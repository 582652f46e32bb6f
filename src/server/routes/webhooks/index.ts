// /webhooks: a tenant's endpoints (create, with the signing secret shown in that answer only;
// list; delete), each endpoint's delivery log, and redelivery. HTTP only: the webhooks service
// checks URLs, keeps secrets and queues deliveries. A tenant key acts for its own tenant, the
// admin token for the one named with ?tenant=.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { actingTenant } from '../../plugins/auth.js';
import { pageOf } from '../tenants/schemas.js';
import { tenantQuery } from '../videos/schemas.js';
import { deliveryListQuery, deliveryParams, deliveryView, endpointBody, endpointListQuery, endpointParams, endpointView, viewDelivery, viewEndpoint } from './schemas.js';

const security = [{ bearer: [] }];
const tenantScoped = { access: 'any' } as const;

const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/webhooks',
    {
      // 404: the admin named a tenant that does not exist.
      config: { ...tenantScoped, problems: [404] },
      schema: {
        tags: ['webhooks'],
        summary: 'Add a webhook endpoint; its signing secret (whsec_…) is in this answer only',
        description:
          'Deliveries follow Standard Webhooks: headers `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>`, body `{type, timestamp, data}`. ' +
          'The URL must be https to a public address (on the local target, http or https to loopback also); a host that resolves to a private, link-local, unique-local, ' +
          'CGNAT, multicast, unspecified or metadata address is refused (400), now and again before every attempt.',
        security,
        querystring: tenantQuery,
        body: endpointBody,
        response: { 201: endpointView.extend({ secret: z.string().describe('the signing secret, shown only here') }) },
      },
    },
    async (request, reply) => {
      const { webhooks } = await app.services;
      const { endpoint, secret } = await webhooks.create(actingTenant(request, request.query.tenant), { url: request.body.url, eventTypes: request.body.events });
      reply.code(201);
      return { ...viewEndpoint(endpoint), secret };
    },
  );

  app.get(
    '/webhooks',
    {
      config: { ...tenantScoped, problems: [404] },
      schema: { tags: ['webhooks'], summary: "The tenant's webhook endpoints, newest first, paged by cursor", security, querystring: endpointListQuery, response: { 200: pageOf(endpointView) } },
    },
    async (request) => {
      const { webhooks } = await app.services;
      const { tenant, ...page } = request.query;
      const found = await webhooks.list(actingTenant(request, tenant), page);
      return { items: found.items.map(viewEndpoint), nextCursor: found.nextCursor };
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      config: tenantScoped,
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook endpoint and its delivery log; deliveries still pending are never sent',
        security,
        params: endpointParams,
        querystring: tenantQuery,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      const { webhooks } = await app.services;
      await webhooks.remove(actingTenant(request, request.query.tenant), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: tenantScoped,
      schema: {
        tags: ['webhooks'],
        summary: "An endpoint's delivery log, newest first: each message's status, attempts and next try",
        description:
          'A delivery is pending until an attempt gets a 2xx (delivered) or its attempts run out (failed). Attempts retry with exponential backoff: see the README, Webhooks.',
        security,
        params: endpointParams,
        querystring: deliveryListQuery,
        response: { 200: pageOf(deliveryView) },
      },
    },
    async (request) => {
      const { webhooks } = await app.services;
      const { tenant, ...page } = request.query;
      const found = await webhooks.deliveries(actingTenant(request, tenant), request.params.id, page);
      return { items: found.items.map(viewDelivery), nextCursor: found.nextCursor };
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      config: tenantScoped,
      schema: {
        tags: ['webhooks'],
        summary: 'Send a message again now, under the same webhook-id, with a fresh set of attempts',
        description: 'The delivery is pending again; an attempt of it still waiting to retry is dropped for this one.',
        security,
        params: deliveryParams,
        querystring: tenantQuery,
        response: { 202: deliveryView },
      },
    },
    async (request, reply) => {
      const { webhooks } = await app.services;
      const { id, deliveryId } = request.params;
      reply.code(202);
      return viewDelivery(await webhooks.redeliver(actingTenant(request, request.query.tenant), id, deliveryId));
    },
  );
};

export default webhookRoutes;
