// The one error handler: maps typed domain errors, validation failures and unknown errors to
// application/problem+json. Routes never hand-write a status code for a domain error, and an
// unexpected error never leaks its message or stack to the client. A path that exists called with
// a method it does not take answers 405 with Allow (RFC 9110), anything else unknown (a hidden
// route's path included) 404.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import FindMyWay from 'find-my-way';
import { hasZodFastifySchemaValidationErrors } from '@fastify/type-provider-zod';
import { DomainError, type DomainErrorKind } from '../../domain/errors.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../problem-schema.js';

const STATUS_OF: Record<DomainErrorKind, number> = {
  'invalid-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media': 415,
  'too-many-requests': 429,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, title = TITLES[status] ?? 'Error'): Problem {
  return { type: 'about:blank', title, status, detail };
}

/** What the HTTP parser refuses before fastify routes anything, as problems too (fastify's `clientErrorHandler`). */
const CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'the request line and headers exceed the 16 KiB this server reads' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'the request was not received in time' },
};

export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, detail: 'the request is not valid HTTP' };
  const body = JSON.stringify(problem(known.status, known.detail));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

export default fp(
  async function problemErrors(app: FastifyInstance) {
    // Every route's path, by method, matched the way fastify matches it: to name the methods a path takes.
    const paths = FindMyWay({ ignoreTrailingSlash: app.initialConfig.ignoreTrailingSlash });
    const methods = new Map<string, Set<string>>();
    app.addHook('onRoute', (route) => {
      // A hidden route (the object-event webhook) answers as if it did not exist.
      if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
      for (const method of [route.method].flat()) {
        let known = methods.get(route.url);
        if (!known) {
          methods.set(route.url, (known = new Set()));
          paths.on('GET', route.url, () => undefined, { pattern: route.url });
        }
        known.add(method);
      }
    });
    const allowedAt = (path: string): string[] => {
      const found = paths.find('GET', path);
      const pattern = (found?.store as { pattern?: string } | undefined)?.pattern;
      return pattern ? [...(methods.get(pattern) ?? [])].sort() : [];
    };

    app.setErrorHandler((error: FastifyError | DomainError | Error, request, reply) => {
      let body: Problem;
      if (error instanceof DomainError) {
        body = problem(STATUS_OF[error.kind], error.message, error.title);
        if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
      } else if (hasZodFastifySchemaValidationErrors(error)) {
        const detail = error.validation
          .map((issue) => `${error.validationContext ?? 'request'}${issue.instancePath || ''}: ${issue.message}`)
          .join('; ');
        body = problem(400, detail);
      } else if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        body = problem(error.statusCode, error.message);
      } else {
        request.log.error({ err: error }, 'unhandled error');
        body = problem(500, 'an unexpected error occurred; the request id is in the server log');
      }
      if (body.status >= 500 && error instanceof DomainError) request.log.warn({ err: error }, body.title);
      reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send({ ...body, instance: request.url.split('?')[0] });
    });

    const unrouted = (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?')[0]!;
      const allowed = allowedAt(path);
      const body = allowed.length
        ? (reply.header('allow', allowed.join(', ')), problem(405, `${path} takes ${allowed.join(', ')}, not ${request.method}`))
        : problem(404, `no route for ${request.method} ${path}`);
      return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send({ ...body, instance: path });
    };
    // Before any body parsing, so a method fastify expects a body with (QUERY) is answered as unrouted too.
    app.addHook('onRequest', async (request, reply) => {
      if (request.is404) return unrouted(request, reply);
    });
    app.setNotFoundHandler(unrouted);
  },
  { name: 'problem-errors' },
);
