// GET /metrics: the service's metrics in the Prometheus text format, for the admin token only.
// HTTP only: what is measured, and how, is the metrics registry's (src/metrics.ts).
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';

export type MetricsExposition = {
  /** The exposition format's media type, with its version. */
  contentType: string;
  scrape(): Promise<string>;
};

const metricsRoutes: FastifyPluginAsyncZod<{ metrics: MetricsExposition }> = async (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics: HTTP requests, tenant operations, job queues, function invocations, the process',
        security: [{ bearer: [] }],
        produces: [metrics.contentType],
        response: { 200: z.string().describe('The Prometheus text exposition format (version 0.0.4)') },
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.scrape()),
  );
};

export default metricsRoutes;
