// /videos: the streaming upload, the catalog's list, a video with its outputs, its deletion, and
// its regeneration. HTTP only: the work (sniffing, size limit, multipart upload, the catalog,
// presigning, starting a run) lives in the video service. An upload is refused before its body is read when its Content-Length is over
// the limit (413) or its tenant already streams as many uploads as it may on this replica (429); a
// refused body is not drained: its answer closes the connection (plugins/refused-bodies.ts).
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { InvalidRequest, NoVideoFile, UploadTooLarge } from '../../../domain/errors.js';
import { parseFrameAt, type FrameAt } from '../../../domain/thumbnail-settings.js';
import { actingTenant } from '../../plugins/auth.js';
import { asMultipartProblem } from '../../multipart-errors.js';
import { tenantSlots } from '../../tenant-slots.js';
import { tenantQuery, uploadedVideo, videoIdCursor, videoListItem, videoState, videoStatus } from './schemas.js';

const security = [{ bearer: [] }];
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;
const FILE_FIELD = 'file';
/** The optional field that sets this video's thumbnail time; it must come before the file (the file is streamed). */
const AT_FIELD = 'at';
/** What a form adds around the file: boundaries, part headers (a long file name), the `at` field. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** What a tenant refused an upload slot is told to wait: uploads take seconds to minutes. */
const UPLOAD_RETRY_AFTER_SECONDS = 10;

/** An `at` as text (a form field, or a regeneration's seconds or text), validated as the settings' `at` is. */
function frameAtOf(value: string): FrameAt {
  try {
    return parseFrameAt(value);
  } catch {
    throw new InvalidRequest(`the field "${AT_FIELD}" must be "auto", seconds, or a percentage such as "10%"`);
  }
}

/** The `at` field sent before the file. */
function uploadAt(fields: Record<string, unknown>): FrameAt | undefined {
  const field = fields[AT_FIELD];
  if (field === undefined) return undefined;
  const value = (field as { value?: unknown }).value;
  if (typeof value !== 'string') throw new InvalidRequest(`the field "${AT_FIELD}" must be text, sent once, before "${FILE_FIELD}"`);
  return frameAtOf(value);
}

/** A regeneration's body: `at` as POST /videos takes it, seconds also as a JSON number. */
const regenerationBody = z
  .object({
    [AT_FIELD]: z
      .union([z.number(), z.string()])
      .optional()
      .meta({ description: 'the frame this run takes: "auto", seconds (a number or its text), or "10%"; left out, the video\'s own `at` (its upload\'s), else the tenant\'s setting' }),
  })
  .strict()
  .nullish();

/** The upload form as the API document shows it; the route streams the file part itself. */
const uploadForm = z.object({
  [AT_FIELD]: z.string().optional().meta({ description: 'this video\'s thumbnail time ("auto", seconds, or "10%"), overriding the tenant\'s; before the file' }),
  [FILE_FIELD]: z.string().meta({ format: 'binary', description: 'the video; its type is decided by its content' }),
});

const videoRoutes: FastifyPluginAsyncZod<{ maxUploadBytes: number; maxConcurrentUploads: number }> = async (app, options) => {
  const uploads = tenantSlots('streamed uploads', options.maxConcurrentUploads, UPLOAD_RETRY_AFTER_SECONDS);

  app.post(
    '/videos',
    {
      config: { access: 'any', problems: [404, 409, 413, 415], form: uploadForm },
      schema: {
        tags: ['videos'],
        summary: 'Upload a video (multipart/form-data, one file field "file"), streamed into the tenant bucket',
        description:
          `The type is decided by content (MP4/MOV/M4V/3GP, WebM/MKV, AVI); at most ${options.maxUploadBytes} bytes. The admin token names the tenant with ?tenant=. ` +
          `A tenant streams at most ${options.maxConcurrentUploads} uploads at once on one replica (429 beyond). ` +
          'An optional text field "at", before "file", sets this video\'s thumbnail time instead of the tenant\'s: "auto", seconds, or "N%".',
        consumes: ['multipart/form-data'],
        security,
        querystring: tenantQuery,
        response: { 201: uploadedVideo },
      },
    },
    async (request, reply) => {
      const tenantId = actingTenant(request, request.query.tenant);
      // A chunked body has no length: the video intake counts its bytes instead.
      if (Number(request.headers['content-length']) > options.maxUploadBytes + MULTIPART_OVERHEAD_BYTES) throw new UploadTooLarge(options.maxUploadBytes);
      if (!request.isMultipart()) throw new NoVideoFile(`send multipart/form-data with the video in the file field "${FILE_FIELD}"`);
      const release = uploads.take(tenantId);
      try {
        // One byte past the limit reaches the video intake, which then refuses the upload with 413.
        const part = await request.file({ limits: { fileSize: options.maxUploadBytes + 1, files: 1 }, throwFileSizeLimit: false });
        if (!part || part.fieldname !== FILE_FIELD) throw new NoVideoFile(`no file in the multipart field "${FILE_FIELD}"`);
        const at = uploadAt(part.fields);
        const { videos } = await app.services;
        const video = await videos.upload({ tenantId, fileName: part.filename, file: part.file, at });
        reply.code(201).header('location', `/videos/${video.id}`);
        return video;
      } catch (error) {
        // The video intake aborts what it started before the error gets here: nothing is left.
        throw asMultipartProblem(error);
      } finally {
        // Before the answer goes out, so a client that reads it may start its next upload at once.
        release();
      }
    },
  );

  app.get(
    '/videos',
    {
      config: { access: 'any', problems: [404, 409] },
      schema: {
        tags: ['videos'],
        summary: "The tenant's videos from the catalog, newest first, paged by cursor, optionally of one status",
        description: '`cursor` is the previous page\'s `nextCursor` (null on the last page); any other cursor is a 400.',
        security,
        querystring: tenantQuery.extend({
          status: videoStatus.optional(),
          limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
          cursor: videoIdCursor.optional(),
        }),
        response: { 200: z.object({ items: z.array(videoListItem), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const { videos } = await app.services;
      const { tenant, status, limit, cursor } = request.query;
      return videos.list(actingTenant(request, tenant), { status, limit, cursor });
    },
  );

  app.get(
    '/videos/:id',
    {
      config: { access: 'any', problems: [409] },
      schema: {
        tags: ['videos'],
        summary: 'A video and its thumbnails: pending, ready (its thumbnails are all written) or failed (with the reason)',
        description:
          'Once processed, also its duration, display size and codec, the poster (the chosen frame, its time and "auto" score), ' +
          'and the storyboard (WebVTT, JSON index, sheet images in order) and animated preview when its run made them.',
        security,
        params: z.object({ id: z.string() }),
        querystring: tenantQuery,
        response: { 200: videoState },
      },
    },
    async (request) => {
      const { videos } = await app.services;
      return videos.get(actingTenant(request, request.query.tenant), request.params.id);
    },
  );

  app.delete(
    '/videos/:id',
    {
      config: { access: 'any', problems: [409] },
      schema: {
        tags: ['videos'],
        summary: 'Delete a video: the video object, every output and its catalog record; then 404',
        description: 'Outputs the thumbnailer writes after the delete are removed as they arrive. 503 when the store fails midway: the video stays, retry the delete.',
        security,
        params: z.object({ id: z.string() }),
        querystring: tenantQuery,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      const { videos } = await app.services;
      await videos.delete(actingTenant(request, request.query.tenant), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/videos/:id/regenerate',
    {
      config: { access: 'any', problems: [409] },
      schema: {
        tags: ['videos'],
        summary: 'Extract the stills again from the stored video (thumbnails, poster, meta.json), optionally at another frame',
        description:
          'Answers 202 with the video pending again; it turns ready (a `video.ready` webhook) once the new run\'s meta.json arrives, or failed (`video.failed`). ' +
          'Until then the last run\'s outputs stay served. The storyboard is kept when it is what the settings make (made when missing); the preview, which starts at the chosen frame, is made again. ' +
          '409 while the tenant is not ready, or while the video is pending (its upload\'s run or another regeneration is on its way).',
        security,
        params: z.object({ id: z.string() }),
        querystring: tenantQuery,
        body: regenerationBody,
        response: { 202: videoState },
      },
    },
    async (request, reply) => {
      const asked = request.body?.[AT_FIELD];
      const at = asked === undefined ? undefined : frameAtOf(String(asked));
      const { videos } = await app.services;
      const video = await videos.regenerate(actingTenant(request, request.query.tenant), request.params.id, at);
      return reply.code(202).header('location', `/videos/${video.id}`).send(video);
    },
  );
};

export default videoRoutes;
