// /rollouts: an admin rolls a new thumbnailer image out to every ready tenant (an `up` each, a few
// at a time) and follows its progress. HTTP only: src/tenants/image-rollouts.ts does the work.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { OPERATION_STATUSES } from '../../../domain/tenant-lifecycle.js';
import { DEFAULT_ROLLOUT_CONCURRENCY } from '../../../tenants/image-rollouts.js';
import { recordIdSchema } from '../tenants/schemas.js';

const security = [{ bearer: [] }];
const MAX_ROLLOUT_CONCURRENCY = 16;

const memberStatus = z.enum(['pending', ...OPERATION_STATUSES, 'skipped']);
const rolloutView = z.object({
  id: z.string(),
  status: z.enum(['running', 'finished']),
  concurrency: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  total: z.number().int().meta({ description: 'the tenants that were ready when the rollout started' }),
  counts: z.record(memberStatus, z.number().int()),
  tenants: z.array(
    z.object({
      id: z.string(),
      status: memberStatus.meta({ description: '`pending` until its `up` is queued; then that operation\'s status; `skipped` with a reason when it was deleted meanwhile' }),
      operationId: z.string().optional(),
      reason: z.string().optional(),
    }),
  ),
});

const rolloutRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/rollouts',
    {
      config: { access: 'admin', problems: [409] },
      schema: {
        tags: ['rollouts'],
        summary: 'Roll the current thumbnailer image out: an `up` for every ready tenant, `concurrency` at a time',
        description:
          "A tenant's function takes a new image (the platform stack's, or a new THUMBFORGE_IMAGE_URI) only in an `up`. This queues one for every tenant that is ready now, at most `concurrency` on their way at once; a tenant that already has an `up` on its way keeps that one. Follow it with GET /rollouts/:id. One rollout runs at a time: a second answers 409.",
        security,
        body: z
          .object({ concurrency: z.number().int().min(1).max(MAX_ROLLOUT_CONCURRENCY).default(DEFAULT_ROLLOUT_CONCURRENCY) })
          .strict()
          .nullish(),
        response: { 202: rolloutView },
      },
    },
    async (request, reply) => {
      const { rollouts } = await app.services;
      reply.code(202);
      return rollouts.start({ concurrency: request.body?.concurrency ?? DEFAULT_ROLLOUT_CONCURRENCY });
    },
  );

  app.get(
    '/rollouts/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['rollouts'],
        summary: "A rollout's progress: each tenant's `up` and the counts by status",
        security,
        params: z.object({ id: recordIdSchema }),
        response: { 200: rolloutView },
      },
    },
    async (request) => {
      const { rollouts } = await app.services;
      return rollouts.get(request.params.id);
    },
  );
};

export default rolloutRoutes;
