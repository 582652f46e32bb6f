// Declares on every documented route each problem it can answer with, so the OpenAPI document and
// the serializer know them: what the route's construction implies (400 for validated input, 401 and
// 403 for a caller, 404 for a resource in the path, 503 while the services start or the store is
// down, 431 for a request line or headers over the server's limit, 429 unless it is exempt from rate
// limits) plus what it names in `config.problems` (409, 413, 415…). It never overrides a response
// a route declares itself, and never touches a hidden route.
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { problemSchema } from '../problem-schema.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Problems this route answers with beyond the ones its shape implies (see route-problems.ts). */
    problems?: readonly number[];
  }
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid: the detail names what',
  401: 'No bearer token, or one that is not valid',
  403: 'The token is valid but may not call this route',
  404: 'No such resource for this caller',
  409: 'The resource is not in a state that allows this',
  413: 'The upload is larger than the limit',
  415: 'The upload is not a video this service reads',
  429: 'Too many requests: from this caller in a minute, or uploads or event streams open for the tenant; retry after the Retry-After seconds',
  431: 'The request line and headers exceed what the server reads (16 KiB)',
  503: 'The service is starting, or a store it needs does not answer',
};

type RouteSchema = NonNullable<RouteOptions['schema']> & { hide?: boolean; consumes?: string[] };

/** The problems a route can answer with, from its shape and its config. */
export function routeProblems(route: Pick<RouteOptions, 'schema' | 'config'>): number[] {
  const schema = (route.schema ?? {}) as RouteSchema;
  const access = route.config?.access;
  // Node's parser refuses oversized request lines and headers for every route alike.
  const statuses = new Set<number>([...(route.config?.problems ?? []), 431]);
  if (schema.body || schema.querystring || schema.params || schema.consumes?.includes('multipart/form-data')) statuses.add(400);
  if (access) statuses.add(401).add(503);
  if (access === 'admin') statuses.add(403);
  if (schema.params) statuses.add(404);
  // Every route is rate limited (plugins/rate-limits.ts) but the ones that opt out.
  if (route.config?.rateLimit !== false) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}

export default fp(
  async function routeProblemsPlugin(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      const schema = route.schema as RouteSchema | undefined;
      if (!schema || schema.hide) return;
      const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) };
      for (const status of routeProblems(route)) {
        response[status] ??= problemSchema.describe(DESCRIPTIONS[status] ?? 'A problem');
      }
      route.schema = { ...schema, response };
    });
  },
  { name: 'route-problems' },
);
