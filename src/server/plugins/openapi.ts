// The OpenAPI document, generated from the routes' zod schemas, at /openapi.json, and its UI
// at /docs. Routes registered after this plugin appear in it automatically; it never documents a
// hidden route (the object-event webhook, the console's static files). Error responses are
// documented as application/problem+json, which is what the error handler sends.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from '@fastify/type-provider-zod';
import { PROBLEM_CONTENT_TYPE } from '../problem-schema.js';

type Transform = typeof jsonSchemaTransform;

/** The zod transform, then every 4xx/5xx response (other than a route's own plain-JSON one, such as /readyz's 503) moved under the problem media type. */
const transform: Transform = (document) => {
  const transformed = jsonSchemaTransform(document);
  const response = (transformed.schema as { response?: Record<string, Record<string, unknown>> } | undefined)?.response;
  for (const [status, schema] of Object.entries(response ?? {})) {
    if (Number(status) < 400 || !isProblem(schema)) continue;
    const { description, ...rest } = schema;
    response![status] = { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: rest } } };
  }
  return transformed;
};

function isProblem(schema: Record<string, unknown>): boolean {
  const properties = schema.properties as Record<string, unknown> | undefined;
  return !!properties && 'detail' in properties && 'status' in properties && 'title' in properties;
}

export default fp(
  async function openapi(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'thumbforge',
          description: 'Multi-tenant video thumbnails: one Pulumi stack per tenant.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'the admin token or a tenant API key' },
          },
        },
      },
      transform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
