// pino options for the service: structured JSON, request ids, and redaction of every place a
// token, key, passphrase or webhook secret could appear. Never log a request's query string raw.
import type { FastifyServerOptions } from 'fastify';

const SECRET_QUERY = /([?&](?:secret|token|key|apiKey|X-Amz-Signature|X-Amz-Credential)=)[^&]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

export function loggerOptions(level = 'info'): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'apiKey',
        '*.apiKey',
        'adminToken',
        '*.adminToken',
        'passphrase',
        '*.passphrase',
        'credentials',
        '*.credentials',
        'secretAccessKey',
        '*.secretAccessKey',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request) {
        return { method: request.method, url: redactUrl(request.url), hostname: request.hostname, remoteAddress: request.ip };
      },
    },
  };
}
