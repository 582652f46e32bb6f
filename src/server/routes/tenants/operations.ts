// GET /tenants/:id/operations (the history, newest first, paged) and POST …/:opId/cancel (a
// queued operation dropped as cancelled). HTTP only: the lifecycle decides what can be cancelled.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { assertCanSee } from '../../plugins/auth.js';
import { adminProblems, operationView, pageOf, pageQuery, problems, tenantParams, viewOperation } from './schemas.js';

const security = [{ bearer: [] }];

const tenantOperations: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/tenants/:id/operations',
    {
      config: { access: 'any' },
      schema: {
        tags: ['tenants'],
        summary: "The tenant's operations, newest first, paged by cursor (the admin, or that tenant itself)",
        security,
        params: tenantParams,
        querystring: pageQuery,
        response: {
          200: pageOf(operationView),
          ...problems({
            400: 'A limit out of range, or a cursor this list did not give out',
            401: 'No bearer token, or one that is not valid',
            404: 'No such tenant (a tenant key naming another tenant gets this too)',
            503: 'The service is starting',
          }),
        },
      },
    },
    async (request) => {
      assertCanSee(request, request.params.id);
      const { tenants } = await app.services;
      const page = await tenants.operations(request.params.id, request.query);
      return { items: page.items.map(viewOperation), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/tenants/:id/operations/:operationId/cancel',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['tenants'],
        summary: 'Cancel a queued operation: it is dropped, never runs, and ends as cancelled',
        description:
          'The tenant returns to the status the operation before it left. A running operation cannot be cancelled yet (409); neither can one that has ended.',
        security,
        params: tenantParams.extend({ operationId: z.string().min(1).max(64) }),
        response: {
          202: operationView,
          ...problems({
            ...adminProblems,
            400: 'The path is not valid',
            404: 'No such tenant, or no such operation of it',
            409: 'The operation is running or has already ended',
          }),
        },
      },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      reply.code(202);
      return viewOperation(await tenants.cancel(request.params.id, request.params.operationId));
    },
  );
};

export default tenantOperations;
