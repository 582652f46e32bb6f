// GET /tenants/:id/events: the current or last operation's engine events as Server-Sent Events,
// replayed from the start (or after Last-Event-ID), then live from whichever replica runs it,
// then `done`. Event ids are `<operationId>:<seq>`, so a Last-Event-ID of an older operation
// never skips into a newer one. A tenant key sees resource steps and status, never raw engine
// diagnostics (the admin sees every event). A client that leaves aborts the subscription. A tenant
// holds at most `maxEventStreams` streams open on this replica; one more is refused with 429.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { TenantNotFound } from '../../../domain/errors.js';
import { tenantEngineEvent } from '../../../domain/tenant-engine-events.js';
import type { Operation, OperationStreamItem, Tenant } from '../../../tenants/tenant-types.js';
import { assertCanSee } from '../../plugins/auth.js';
import { tenantSlots } from '../../tenant-slots.js';
import { tenantParams, viewOperation } from './schemas.js';

type Options = { lastOperation(tenantId: string): Promise<{ tenant: Tenant; operation?: Operation }>; maxEventStreams: number };

/** What a client refused a stream is told to wait: streams usually last as long as an operation, seconds to minutes. */
const STREAM_RETRY_AFTER_SECONDS = 5;

/** `forTenant`: a tenant key's stream carries resource steps and the summary only (tenant-engine-events.ts). */
async function* sseMessages(operationId: string, items: AsyncIterable<OperationStreamItem>, forTenant: boolean) {
  for await (const item of items) {
    if (item.type === 'done') {
      yield { event: 'done', data: item.data };
      return;
    }
    const event = forTenant ? tenantEngineEvent(item.data.event) : item.data.event;
    // A left-out event keeps its place: ids skip its seq, and Last-Event-ID resumes after it.
    if (event) yield { id: `${operationId}:${item.data.seq}`, event: 'engine', data: { ...item.data, event } };
  }
}

/** The sequence to resume after: only a Last-Event-ID of this very operation counts. */
function resumeAfter(lastEventId: string | string[] | undefined, operationId: string): number {
  const [id, seq] = String(lastEventId ?? '').split(':');
  const after = Number(seq);
  return id === operationId && Number.isInteger(after) && after >= 0 ? after : 0;
}

const tenantEvents: FastifyPluginAsyncZod<Options> = async (app, options) => {
  // Open streams end when the server closes, so shutdown never waits on a watching client.
  const open = new Set<AbortController>();
  app.addHook('preClose', async () => open.forEach((stream) => stream.abort()));
  const streams = tenantSlots('event streams', options.maxEventStreams, STREAM_RETRY_AFTER_SECONDS);

  app.get(
    '/tenants/:id/events',
    {
      sse: 'only',
      config: { access: 'any' },
      schema: {
        tags: ['tenants'],
        summary: "The current or last operation's engine events (text/event-stream), ending with `done`",
        description:
          'Events: `operation` (the record, first), `engine` (id = `<operationId>:<seq>`; replayed, then live), `done` ({operationId,status,error?}). Send Last-Event-ID to resume within the same operation. ' +
          `A tenant holds at most ${options.maxEventStreams} streams open at once on one replica (429 beyond).`,
        security: [{ bearer: [] }],
        params: tenantParams,
        produces: ['text/event-stream'],
        response: {
          200: z
            .object({ event: z.enum(['operation', 'engine', 'done']), data: z.string(), id: z.string().optional(), retry: z.number().int().optional() })
            .describe('One server-sent event of the stream: `operation` (the record) first, then `engine` events, then `done`; `data` is JSON'),
        },
      },
    },
    async (request, reply) => {
      assertCanSee(request, request.params.id);
      // Taken before any wait and given back when the response closes, however the stream ends.
      reply.raw.once('close', streams.take(request.params.id));
      const { operation } = await options.lastOperation(request.params.id);
      if (!operation) throw new TenantNotFound(request.params.id);
      const { tenants } = await app.services;
      const left = new AbortController();
      open.add(left);
      reply.sse.onClose(() => {
        left.abort();
        open.delete(left);
      });
      const afterSeq = resumeAfter(request.headers['last-event-id'], operation.id);
      await reply.sse.send({ event: 'operation', data: viewOperation(operation) });
      try {
        await reply.sse.send(sseMessages(operation.id, tenants.events(operation.id, afterSeq, left.signal), request.principal.kind === 'tenant'));
      } catch (error) {
        if (!left.signal.aborted) throw error;
      }
    },
  );
};

export default tenantEvents;
