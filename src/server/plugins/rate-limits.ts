// Requests per minute per caller, with @fastify/rate-limit: one count per tenant key (by its stored
// hash, which names exactly one key), one for the admin token, one per client IP on public routes.
// Over the rate, a 429 problem with Retry-After. Counts live in this replica's memory (each replica
// allows the rate on its own). It never limits a route marked `config.rateLimit: false` (the probes,
// the store's internal webhook), and never keeps a token itself, only its hash.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { hashApiKey } from '../../domain/api-keys.js';
import { TooManyRequests } from '../../domain/errors.js';
import { bearerToken, type Principal } from './auth.js';

const MINUTE_MS = 60_000;

/** Who is counted: the principal is set by the auth hook, which runs first (an app-level hook; this plugin's are route-level). */
function callerOf(request: FastifyRequest): string {
  const principal = request.principal as Principal | null;
  if (!principal) return `ip:${rateLimit.normalizeIP(request.ip)}`;
  if (principal.kind === 'admin') return 'admin';
  return `key:${hashApiKey(bearerToken(request)!)}`;
}

export default fp(
  async function rateLimits(app: FastifyInstance, options: { perMinute: number }) {
    await app.register(rateLimit, {
      global: true,
      max: options.perMinute,
      timeWindow: MINUTE_MS,
      hook: 'onRequest',
      keyGenerator: callerOf,
      errorResponseBuilder: (_request, context) =>
        new TooManyRequests(`more than ${context.max} requests in a minute from this caller; retry in ${context.after}`, Math.ceil(context.ttl / 1000)),
    });
  },
  { name: 'rate-limits' },
);
