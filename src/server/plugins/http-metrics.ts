// Reports every answered request to the service's metrics: its method, the route pattern it
// matched (never the raw URL, which carries ids and query strings) and its status, with the time
// to answer. A request no route matched is reported under one `unmatched` route.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type HttpMetrics = {
  requestFinished(request: { method: string; route: string; status: number; seconds: number }): void;
};

export const UNMATCHED_ROUTE = 'unmatched';

export default fp(
  async function httpMetrics(app: FastifyInstance, options: { metrics: HttpMetrics }) {
    app.addHook('onResponse', async (request, reply) => {
      options.metrics.requestFinished({
        method: request.method,
        route: request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE),
        status: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
      });
    });
  },
  { name: 'http-metrics' },
);
