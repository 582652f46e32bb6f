// The OpenAPI document, generated from the routes' zod schemas, at /openapi.json, and its UI
// at /docs. Routes registered after this plugin appear in it automatically; it never documents a
// hidden route (the object-event webhook, the console's static files). Error responses are
// documented as application/problem+json, which is what the error handler sends, and a body the
// route's schema lets a client leave out is documented as optional.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from '@fastify/type-provider-zod';
import { z, ZodType } from 'zod';
import { PROBLEM_CONTENT_TYPE } from '../problem-schema.js';

type Transform = typeof jsonSchemaTransform;
type OpenApiDocument = { paths?: Record<string, Record<string, { requestBody?: { required?: boolean } } & Record<string, unknown>>> };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The multipart form a route reads itself, for the API document only. */
    form?: z.ZodType;
  }
}

/** Marks, between the per-route transform and the document's, an operation whose body may be left out. */
const OPTIONAL_BODY = 'x-thumbforge-optional-body';

/** The zod transform, then every 4xx/5xx response (other than a route's own plain-JSON one, such as /readyz's 503) moved under the problem media type. */
const transform: Transform = (document) => {
  const transformed = jsonSchemaTransform(document);
  // A multipart route parses its own form (the file is streamed, never validated as a body): its `config.form` documents it.
  const form = document.route.config?.form;
  if (form) {
    const { $schema: _dialect, ...body } = z.toJSONSchema(form, { io: 'input' });
    (transformed.schema as Record<string, unknown>).body = body;
  }
  const body = (document.schema as { body?: unknown } | undefined)?.body;
  if (body instanceof ZodType && body.safeParse(undefined).success) (transformed.schema as Record<string, unknown>)[OPTIONAL_BODY] = true;
  const response = (transformed.schema as { response?: Record<string, Record<string, unknown>> } | undefined)?.response;
  for (const [status, schema] of Object.entries(response ?? {})) {
    if (Number(status) < 400 || !isProblem(schema)) continue;
    const { description, ...rest } = schema;
    response![status] = { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: rest } } };
  }
  return transformed;
};

/** @fastify/swagger marks every body required (fastify validates one once a schema names it); ours accept none where marked. */
const optionalBodies: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  const { openapiObject } = document;
  for (const operations of Object.values((openapiObject as OpenApiDocument).paths ?? {})) {
    for (const operation of Object.values(operations)) {
      if (!operation[OPTIONAL_BODY]) continue;
      delete operation[OPTIONAL_BODY];
      if (operation.requestBody) operation.requestBody.required = false;
    }
  }
  return openapiObject;
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
      transformObject: optionalBodies,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
