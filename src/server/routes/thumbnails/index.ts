// GET /thumbnails: the tenant's thumbnails from the catalog, oldest video first, a bounded page at
// a time with an opaque cursor, each with a presigned link. HTTP only.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { actingTenant } from '../../plugins/auth.js';
import { tenantQuery, thumbnailLink } from '../videos/schemas.js';

export const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

const thumbnailRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/thumbnails',
    {
      config: { access: 'any', problems: [404, 409] },
      schema: {
        tags: ['thumbnails'],
        summary: "The tenant's thumbnails with presigned links, paged by cursor",
        security: [{ bearer: [] }],
        querystring: tenantQuery.extend({
          limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
          // base64url, as the service encodes it: ASCII only, so even the longest fits a request line.
          cursor: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a cursor as this API gives out').max(2048).optional(),
        }),
        response: {
          200: z.object({
            items: z.array(thumbnailLink.extend({ videoId: z.string(), size: z.number().int(), lastModified: z.string() })),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const { videos } = await app.services;
      const { limit, cursor, tenant } = request.query;
      return videos.thumbnails(actingTenant(request, tenant), { limit, cursor });
    },
  );
};

export default thumbnailRoutes;
