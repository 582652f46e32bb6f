// GET /tenants/:id/events: the current or last operation's engine events as Server-Sent Events,
// replayed from the start (or after Last-Event-ID), then live, then `done`. A client that
// leaves aborts the subscription; the stream never outlives its connection.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { TenantNotFound } from '../../../domain/errors.js';
import type { Operation, OperationStreamItem, Tenant } from '../../../stacks/tenant-service-types.js';
import { assertCanSee } from '../../plugins/auth.js';
import { tenantParams, viewOperation } from './schemas.js';

type Options = { lastOperation(tenantId: string): Promise<{ tenant: Tenant; operation?: Operation }> };

async function* sseMessages(items: AsyncIterable<OperationStreamItem>, afterSeq: number) {
  for await (const item of items) {
    if (item.type === 'done') {
      yield { event: 'done', data: item.data };
      return;
    }
    if (item.data.seq > afterSeq) yield { id: String(item.data.seq), event: 'engine', data: item.data };
  }
}

const tenantEvents: FastifyPluginAsyncZod<Options> = async (app, options) => {
  // Open streams end when the server closes, so shutdown never waits on a watching client.
  const open = new Set<AbortController>();
  app.addHook('preClose', async () => open.forEach((stream) => stream.abort()));

  app.get(
    '/tenants/:id/events',
    {
      sse: 'only',
      config: { access: 'any' },
      schema: {
        tags: ['tenants'],
        summary: "The current or last operation's engine events (text/event-stream), ending with `done`",
        description: 'Events: `operation` (the record, first), `engine` (id = sequence number; replayed, then live), `done` ({operationId,status,error?}). Send Last-Event-ID to resume.',
        security: [{ bearer: [] }],
        params: tenantParams,
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      assertCanSee(request, request.params.id);
      const { operation } = await options.lastOperation(request.params.id);
      if (!operation) throw new TenantNotFound(request.params.id);
      const { tenants } = await app.services;
      const left = new AbortController();
      open.add(left);
      reply.sse.onClose(() => {
        left.abort();
        open.delete(left);
      });
      const afterSeq = Number(request.headers['last-event-id'] ?? -1);
      await reply.sse.send({ event: 'operation', data: viewOperation(operation) });
      try {
        await reply.sse.send(sseMessages(tenants.events(operation.id, left.signal), Number.isFinite(afterSeq) ? afterSeq : -1));
      } catch (error) {
        if (!left.signal.aborted) throw error;
      }
    },
  );
};

export default tenantEvents;
