// GET /tenants/:id/operations (the history, newest first, paged) and POST …/:opId/cancel (a
// queued operation dropped, a running one ended safely). HTTP only: the lifecycle decides.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { assertCanSee } from '../../plugins/auth.js';
import { operationView, pageOf, pageQuery, recordIdSchema, tenantParams, viewOperation } from './schemas.js';

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
        response: { 200: pageOf(operationView) },
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
      config: { access: 'admin', problems: [409] },
      schema: {
        tags: ['tenants'],
        summary: 'Cancel an operation: a queued one is dropped; a running one is ended safely',
        description:
          "A queued operation never runs: it answers `cancelled` at once, and the tenant returns to the status the operation before it left. A running one answers `running` with `cancelRequestedAt`: its replica cancels the engine run (terminating it if it does not stop), refreshes the stack so its state is what the cloud holds, and ends it as `cancelled` (the tenant then shows `failed` if it was provisioning, `interrupted` otherwise; `retry` resumes it). Follow it with GET /tenants/:id/operations. An operation that has ended answers 409.",
        security,
        params: tenantParams.extend({ operationId: recordIdSchema }),
        response: { 202: operationView },
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
