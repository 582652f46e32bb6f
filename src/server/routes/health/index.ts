// Liveness and readiness. /healthz answers 200 while the process serves requests and checks
// nothing downstream, so a slow store or engine never gets a healthy replica restarted. /readyz
// answers 200 only once migrations, recovery and workers are up and the database answers now.
// Neither is rate limited: a probe must never be told to come back later.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';

const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers, and migrations and recovery are done',
        response: {
          200: z.object({ status: z.literal('ready') }),
          503: z.object({ status: z.enum(['starting', 'database-unreachable']) }),
        },
      },
    },
    async (_request, reply) => {
      if (!app.servicesStarted()) return reply.code(503).send({ status: 'starting' as const });
      const { ready } = await app.services;
      if (!(await ready())) return reply.code(503).send({ status: 'database-unreachable' as const });
      return { status: 'ready' as const };
    },
  );
};

export default healthRoutes;
