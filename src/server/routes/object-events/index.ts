// POST /internal/object-events: where the local object store posts its events, handed to the
// function runner. Hidden from the API document; the per-start secret in the URL is compared in
// constant time and a wrong one gets a plain 404, as if the route did not exist.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { sameSecret } from '../../../domain/api-keys.js';

export const OBJECT_EVENTS_PATH = '/internal/object-events';

const objectEventRoutes: FastifyPluginAsyncZod<{ secret: string }> = async (app, options) => {
  app.post(
    OBJECT_EVENTS_PATH,
    { schema: { hide: true, querystring: z.object({ secret: z.string().optional() }) } },
    async (request, reply) => {
      if (!sameSecret(request.query.secret ?? '', options.secret)) {
        return reply.callNotFound();
      }
      const event = typeof request.body === 'string' ? JSON.parse(request.body) : request.body;
      // Answer at once (the store's webhook is fire-and-forget); events queue in arrival order
      // until the runner exists, and the runner's start-up sweep covers any the store never sent.
      void app.services.then((services) => services.acceptObjectEvent?.(event));
      return reply.code(200).send();
    },
  );
};

export default objectEventRoutes;
