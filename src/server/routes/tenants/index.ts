// /tenants: create, list, read, update, delete, retry, refresh (a drift check), preview (and, registered from here, the
// operation history, keys and events). HTTP only: each handler reads like its
// row in the contract and calls the tenant service; provisioning never holds a request open.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { TenantNotFound } from '../../../domain/errors.js';
import { tenantIdSchema } from '../../../domain/tenant-id.js';
import { DEFAULT_THUMBNAIL_SETTINGS, thumbnailSettingsSchema } from '../../../domain/thumbnail-settings.js';
import type { Operation, Tenant, TenantLifecycle } from '../../../tenants/tenant-types.js';
import { assertCanSee } from '../../plugins/auth.js';
import { operationAccepted, tenantParams, tenantView, viewOperation, viewTenant } from './schemas.js';
import tenantEvents from './events.js';
import tenantOperations from './operations.js';
import tenantKeys from './keys.js';

const security = [{ bearer: [] }];
const admin = { access: 'admin' } as const;

/** The record of the tenant's most recent operation, if it has had one. */
const lastOperationOf = async (tenants: TenantLifecycle, tenant: Tenant) => (tenant.lastOperationId ? tenants.operation(tenant.lastOperationId) : undefined);

/** The 202 body for a queued update, destroy, retry or drift check: the tenant's status as the operation left it. */
async function accepted(tenants: TenantLifecycle, id: string, operation: Operation) {
  const fallback = operation.kind === 'destroy' ? 'deleting' : 'provisioning';
  return { id, status: (await tenants.get(id))?.status ?? fallback, operation: viewOperation(operation) };
}

const tenantRoutes: FastifyPluginAsyncZod<{ maxEventStreams: number }> = async (app, options) => {
  const lastOperation = async (tenantId: string) => {
    const { tenants } = await app.services;
    const tenant = await tenants.get(tenantId);
    if (!tenant) throw new TenantNotFound(tenantId);
    return { tenant, operation: await lastOperationOf(tenants, tenant) };
  };

  app.post(
    '/tenants',
    {
      config: { ...admin, problems: [409] },
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant: queues its stack and answers at once with its API key (shown only here)',
        security,
        body: z.object({ id: tenantIdSchema, thumbnail: thumbnailSettingsSchema.optional() }).strict(),
        response: { 202: operationAccepted.extend({ apiKey: z.string() }) },
      },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      const settings = request.body.thumbnail ?? DEFAULT_THUMBNAIL_SETTINGS;
      const { tenant, operation, apiKey } = await tenants.provision({ id: request.body.id, settings });
      reply.code(202).header('location', `/tenants/${tenant.id}`);
      return { id: tenant.id, status: tenant.status, apiKey, operation: viewOperation(operation) };
    },
  );

  app.get(
    '/tenants',
    { config: admin, schema: { tags: ['tenants'], summary: 'List tenants', security, response: { 200: z.object({ tenants: z.array(tenantView) }) } } },
    async () => {
      const { tenants } = await app.services;
      const all = await tenants.list();
      return { tenants: await Promise.all(all.map(async (tenant) => viewTenant(tenant, await lastOperationOf(tenants, tenant)))) };
    },
  );

  app.get(
    '/tenants/:id',
    {
      config: { access: 'any' },
      schema: { tags: ['tenants'], summary: 'One tenant (the admin, or that tenant itself)', security, params: tenantParams, response: { 200: tenantView } },
    },
    async (request) => {
      assertCanSee(request, request.params.id);
      const { tenant, operation } = await lastOperation(request.params.id);
      return viewTenant(tenant, operation);
    },
  );

  app.patch(
    '/tenants/:id',
    {
      config: { ...admin, problems: [409] },
      schema: {
        tags: ['tenants'],
        summary: "Change a tenant's thumbnail settings: queues an `up` that updates its function in place",
        description:
          '`thumbnail` replaces the settings whole (a field left out takes its default, as at creation) and raises `settingsVersion`; `appliedSettingsVersion` follows once the `up` succeeds. While an `up` is still queued, it takes the new settings instead of a second one being queued: the answer is that operation.',
        security,
        params: tenantParams,
        body: z.object({ thumbnail: thumbnailSettingsSchema }).strict(),
        response: { 202: operationAccepted },
      },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      reply.code(202);
      return accepted(tenants, request.params.id, await tenants.update(request.params.id, request.body.thumbnail));
    },
  );

  app.delete(
    '/tenants/:id',
    {
      config: admin,
      schema: { tags: ['tenants'], summary: 'Destroy a tenant stack; the tenant is gone once the operation succeeds', security, params: tenantParams, response: { 202: operationAccepted } },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      reply.code(202);
      return accepted(tenants, request.params.id, await tenants.destroy(request.params.id));
    },
  );

  app.post(
    '/tenants/:id/retry',
    {
      config: { ...admin, problems: [409] },
      schema: {
        tags: ['tenants'],
        summary: 'Re-run `up` for a tenant with no operation on its way: a failed or interrupted one, or a ready one (to roll out a new function image)',
        security,
        params: tenantParams,
        response: { 202: operationAccepted },
      },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      reply.code(202);
      return accepted(tenants, request.params.id, await tenants.retry(request.params.id));
    },
  );

  app.post(
    '/tenants/:id/refresh',
    {
      config: { ...admin, problems: [409] },
      schema: {
        tags: ['tenants'],
        summary: 'Queue a drift check: a refresh preview that reads every resource and changes nothing',
        description:
          "Once it has run, `GET /tenants/:id` shows `drift: {status: in-sync | drifted, checkedAt, changes}`. The tenant's status does not change; an `up` (PATCH or retry) repairs what drifted, since every `up` refreshes first.",
        security,
        params: tenantParams,
        response: { 202: operationAccepted },
      },
    },
    async (request, reply) => {
      const { tenants } = await app.services;
      reply.code(202);
      return accepted(tenants, request.params.id, await tenants.refresh(request.params.id));
    },
  );

  app.post(
    '/tenants/:id/preview',
    {
      config: { ...admin, problems: [409] },
      schema: {
        tags: ['tenants'],
        summary: "The program's plan for a new or existing tenant, changing nothing",
        security,
        params: tenantParams,
        body: z.object({ thumbnail: thumbnailSettingsSchema.optional() }).strict().nullish(),
        response: {
          200: z.object({
            changes: z.object({ create: z.number(), update: z.number(), delete: z.number(), same: z.number() }),
            steps: z.array(z.object({ op: z.string(), type: z.string(), name: z.string(), urn: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      const { tenants } = await app.services;
      // A client that leaves cancels its preview.
      const left = new AbortController();
      const abort = () => left.abort();
      request.raw.once('close', () => request.raw.complete || left.abort());
      // A kept-alive socket serves many requests: the listener goes once this one is answered.
      request.socket.once('close', abort);
      try {
        return await tenants.preview(request.params.id, request.body?.thumbnail, left.signal);
      } finally {
        request.socket.off('close', abort);
      }
    },
  );

  await app.register(tenantEvents, { lastOperation, maxEventStreams: options.maxEventStreams });
  await app.register(tenantOperations);
  await app.register(tenantKeys);
};

export default tenantRoutes;
