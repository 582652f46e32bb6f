// Resolves who is calling from `Authorization: Bearer <token>` (the admin token or a tenant API
// key) and decorates the request with that principal. Routes declare `config.access`; routes
// without it are public. Secrets are only ever compared in constant time.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Forbidden, InvalidRequest, TenantNotFound, Unauthorized } from '../../domain/errors.js';
import { sameSecret } from '../../domain/api-keys.js';

export type Principal = { kind: 'admin' } | { kind: 'tenant'; tenantId: string };
/** `admin`: the admin token only. `any`: the admin token or a tenant key. */
export type Access = 'admin' | 'any';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token of `Authorization: Bearer <token>`, if the request sends one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

/** The tenant a tenant-scoped route acts for: the caller's own, or `?tenant=` for the admin. */
export function actingTenant(request: FastifyRequest, requested?: string): string {
  const principal = request.principal;
  if (principal.kind === 'tenant') {
    // A tenant key acts for its own tenant only; naming another reveals nothing about it.
    if (requested !== undefined && requested !== principal.tenantId) throw new TenantNotFound(requested);
    return principal.tenantId;
  }
  if (requested === undefined) throw new InvalidRequest('the admin token acts for a tenant named with ?tenant=<id>');
  return requested;
}

/** Admin sees every tenant; a tenant sees only itself (others are reported as not found). */
export function assertCanSee(request: FastifyRequest, tenantId: string): void {
  const principal = request.principal;
  if (principal.kind === 'tenant' && principal.tenantId !== tenantId) throw new TenantNotFound(tenantId);
}

export default fp(
  async function auth(app: FastifyInstance, options: { adminToken: string }) {
    app.decorateRequest('principal', null as never);

    async function principalOf(token: string): Promise<Principal | undefined> {
      if (sameSecret(token, options.adminToken)) return { kind: 'admin' };
      const tenantId = await (await app.services).authenticate(token);
      return tenantId ? { kind: 'tenant', tenantId } : undefined;
    }

    app.addHook('onRequest', async (request, reply) => {
      const access = request.routeOptions.config.access;
      if (!access) return;
      const token = bearerToken(request);
      const principal = token ? await principalOf(token) : undefined;
      if (!principal) {
        reply.header('www-authenticate', 'Bearer');
        throw new Unauthorized(token ? 'the token is not valid' : 'send Authorization: Bearer <admin token or tenant API key>');
      }
      if (access === 'admin' && principal.kind !== 'admin') throw new Forbidden('this route needs the admin token');
      request.principal = principal;
    });
  },
  { name: 'auth', dependencies: ['services'] },
);
