// /uploads: direct uploads, the parts sent by the client straight to the tenant bucket through
// presigned URLs; which parts arrived (to resume); completion (sniffed, then a video); abort. HTTP
// only: the workflow (staging, sniffing, the cap, expiry) lives in the direct-upload service.
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { frameAtSchema } from '../../../domain/thumbnail-settings.js';
import { actingTenant } from '../../plugins/auth.js';
import { recordIdSchema } from '../tenants/schemas.js';
import { tenantQuery, uploadedVideo } from '../videos/schemas.js';

const security = [{ bearer: [] }];
/** S3's bounds: part numbers 1 to 10,000. */
const MAX_PARTS = 10_000;

const uploadParams = z.object({ id: recordIdSchema });
const partUrl = z.object({ partNumber: z.number().int(), url: z.string().url().describe('PUT the part\'s bytes here; the answer\'s ETag header is what completion names') });
const partNumber = z.number().int().min(1).max(MAX_PARTS);

const uploadRoutes: FastifyPluginAsyncZod<{ maxUploadBytes: number }> = async (app, options) => {
  app.post(
    '/uploads',
    {
      config: { access: 'any', problems: [404, 409, 413, 429] },
      schema: {
        tags: ['uploads'],
        summary: 'Start a direct upload: presigned URLs for every part, straight to the tenant bucket',
        description:
          `At most ${options.maxUploadBytes} bytes. Split the file in parts of partSize bytes (the last one shorter), PUT each to its URL, ` +
          'then complete with the parts\' ETags. GET /uploads/:id says which parts arrived, with fresh URLs for the rest. ' +
          'The upload expires at expiresAt (then it is aborted); a tenant holds a bounded number of open uploads (429 beyond, with Retry-After). ' +
          'The admin token names the tenant with ?tenant=.',
        security,
        querystring: tenantQuery,
        body: z
          .object({
            fileName: z
              .string()
              .min(1)
              .max(1024)
              .regex(/^[^\u0000-\u001f\u007f]+$/, 'a file name without control characters')
              .describe('the file\'s name: the video key is made from it (the extension comes from the content)'),
            size: z.number().int().min(1).describe('the file\'s size in bytes'),
            at: frameAtSchema.optional().describe('this video\'s thumbnail time ("auto", seconds, or "10%"), overriding the tenant\'s'),
          })
          .strict(),
        response: {
          201: z.object({
            uploadId: z.string(),
            videoId: z.string(),
            partSize: z.number().int(),
            parts: z.array(partUrl),
            expiresAt: z.string(),
          }),
        },
      },
    },
    async (request, reply) => {
      const { uploads } = await app.services;
      const created = await uploads.create({ tenantId: actingTenant(request, request.query.tenant), ...request.body });
      reply.code(201).header('location', `/uploads/${created.uploadId}`);
      return created;
    },
  );

  app.get(
    '/uploads/:id',
    {
      config: { access: 'any', problems: [409] },
      schema: {
        tags: ['uploads'],
        summary: 'A direct upload: the parts received so far, and fresh URLs for the parts still to send (resume)',
        description: 'A completed upload answers status "completed" (its video is videoId); an aborted or expired one is gone (404).',
        security,
        params: uploadParams,
        querystring: tenantQuery,
        response: {
          200: z.object({
            uploadId: z.string(),
            videoId: z.string(),
            fileName: z.string(),
            size: z.number().int().describe('as declared'),
            partSize: z.number().int(),
            status: z.enum(['open', 'completed']),
            createdAt: z.string(),
            expiresAt: z.string(),
            received: z.array(z.object({ partNumber: z.number().int(), etag: z.string(), size: z.number().int() })),
            parts: z.array(partUrl).describe('the parts still to send'),
          }),
        },
      },
    },
    async (request) => {
      const { uploads } = await app.services;
      return uploads.get(actingTenant(request, request.query.tenant), request.params.id);
    },
  );

  app.post(
    '/uploads/:id/complete',
    {
      config: { access: 'any', problems: [409, 413, 415] },
      schema: {
        tags: ['uploads'],
        summary: 'Complete a direct upload: the parts are joined, the first bytes sniffed, and the video stored (as POST /videos answers)',
        description:
          'Name every part with the ETag its PUT answered, in order. Parts the store refuses answer 400 with its reason, and the upload stays open to fix them. ' +
          'Content that is not a video (415) or over the limit (413) is deleted. Completing a completed upload answers its video again; ' +
          'while the store still joins the parts for an earlier request (one that timed out), 409 with Retry-After.',
        security,
        params: uploadParams,
        querystring: tenantQuery,
        body: z
          .object({ parts: z.array(z.object({ partNumber, etag: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'an ETag as a part PUT answered it') }).strict()).min(1).max(MAX_PARTS) })
          .strict(),
        response: { 201: uploadedVideo },
      },
    },
    async (request, reply) => {
      const { uploads } = await app.services;
      const video = await uploads.complete(actingTenant(request, request.query.tenant), request.params.id, request.body.parts);
      reply.code(201).header('location', `/videos/${video.id}`);
      return video;
    },
  );

  app.delete(
    '/uploads/:id',
    {
      config: { access: 'any', problems: [409] },
      schema: {
        tags: ['uploads'],
        summary: 'Abort a direct upload: its parts are removed from the bucket; then it is gone (404)',
        description: 'A completed upload is a video: 409 (delete the video instead).',
        security,
        params: uploadParams,
        querystring: tenantQuery,
        response: { 204: z.null().describe('Aborted') },
      },
    },
    async (request, reply) => {
      const { uploads } = await app.services;
      await uploads.abort(actingTenant(request, request.query.tenant), request.params.id);
      return reply.code(204).send(null);
    },
  );
};

export default uploadRoutes;
