// POST /internal/object-events: where the local object store posts its events, handed to the
// function runner. Hidden from the API document; the per-start secret in the URL is compared in
// constant time and a wrong one gets a plain 404, as if the route did not exist. It answers 200
// only once the event's jobs (the thumbnailer's and the catalog's) are durable, and 503 when they
// could not be made: never an ack for an event that would be lost (the store does not retry; the
// runner's and the catalog's reconciles are the backstop).
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { sameSecret } from '../../../domain/api-keys.js';
import { isStoreTestEvent } from '../../../local/object-event-queue.js';

export const OBJECT_EVENTS_PATH = '/internal/object-events';

function parsedBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    // The runner logs what it cannot read.
    return body;
  }
}

const objectEventRoutes: FastifyPluginAsyncZod<{ secret: string }> = async (app, options) => {
  app.post(
    OBJECT_EVENTS_PATH,
    // The store posts every object event here and never redelivers one: never rate limited.
    { config: { rateLimit: false }, schema: { hide: true, querystring: z.object({ secret: z.string().optional() }) } },
    async (request, reply) => {
      if (!sameSecret(request.query.secret ?? '', options.secret)) {
        return reply.callNotFound();
      }
      const event = parsedBody(request.body);
      // The store posts its test event as it starts, before the services (which wait for the store) exist.
      if (isStoreTestEvent(event)) return reply.code(200).send();
      try {
        // Until the services arrive the delivery waits here: the job engine is what makes it durable.
        const services = await app.services;
        await services.acceptObjectEvent?.(event);
      } catch (error) {
        request.log.error({ err: error }, 'object event not queued: the store will not redeliver it; the next reconcile covers it');
        return reply.code(503).send();
      }
      return reply.code(200).send();
    },
  );
};

export default objectEventRoutes;
