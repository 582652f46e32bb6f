// /tenants/:id/keys: create (the key shown in this answer only), list (prefix, creation, last use)
// and revoke a tenant's API keys; admin only. HTTP only: a key is never listed or logged.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { keyView, pageOf, pageQuery, recordIdSchema, tenantParams, viewKey } from './schemas.js';

const security = [{ bearer: [] }];
const admin = { access: 'admin' } as const;

const tenantKeys: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/tenants/:id/keys',
    {
      config: admin,
      schema: {
        tags: ['keys'],
        summary: 'A new API key for the tenant; the key is in this answer only',
        security,
        params: tenantParams,
        response: { 201: keyView.extend({ apiKey: z.string() }) },
      },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      const { key, apiKey } = await tenants.createKey(request.params.id);
      reply.code(201);
      return { ...viewKey(key), apiKey };
    },
  );

  app.get(
    '/tenants/:id/keys',
    {
      config: admin,
      schema: {
        tags: ['keys'],
        summary: "The tenant's live keys, newest first, paged by cursor",
        security,
        params: tenantParams,
        querystring: pageQuery,
        response: { 200: pageOf(keyView) },
      },
    },
    async (request) => {
      const { tenants } = await app.services;
      const page = await tenants.keys(request.params.id, request.query);
      return { items: page.items.map(viewKey), nextCursor: page.nextCursor };
    },
  );

  app.delete(
    '/tenants/:id/keys/:keyId',
    {
      config: admin,
      schema: {
        tags: ['keys'],
        summary: 'Revoke a key: every replica refuses it from the next request on',
        security,
        params: tenantParams.extend({ keyId: recordIdSchema }),
        response: { 204: z.null().describe('Revoked') },
      },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      await tenants.revokeKey(request.params.id, request.params.keyId);
      return reply.code(204).send(null);
    },
  );
};

export default tenantKeys;
