// The shapes /videos, /uploads and /thumbnails answer with: a thumbnail link, and an accepted video, are the same everywhere.
// Schemas only: never any logic, so the OpenAPI document and the answers cannot disagree.
import { z } from 'zod';
import { tenantIdSchema } from '../../../domain/tenant-id.js';
import { VIDEO_STATUSES } from '../../../catalog/catalog-types.js';

export const thumbnailLink = z.object({ width: z.number().int(), key: z.string(), url: z.string().url(), expiresAt: z.string() });

/** A video stored in the tenant's bucket, streamed (POST /videos) or direct (POST /uploads/:id/complete): its thumbnails are on their way. */
export const uploadedVideo = z.object({
  id: z.string(),
  tenant: z.string(),
  key: z.string(),
  size: z.number().int(),
  contentType: z.string(),
  status: z.literal('pending'),
  thumbnails: z.array(thumbnailLink),
});

/** `?tenant=`: which tenant the admin token acts for; a tenant key may omit it. */
export const tenantQuery = z.object({
  tenant: tenantIdSchema
    .optional()
    .describe('The tenant to act for. Required with the admin token (400 without it); with a tenant key optional, and when given it must be that key\'s own tenant (404 otherwise).'),
});

export const videoStatus = z.enum(VIDEO_STATUSES);

/** A video as GET /videos lists it (and as every video webhook carries it). */
export const videoListItem = z.object({
  id: z.string(),
  name: z.string().describe('the file name it was uploaded with'),
  status: videoStatus,
  size: z.number().int(),
  contentType: z.string(),
  createdAt: z.string(),
  readyAt: z.string().optional().describe('when its thumbnails were all written'),
  durationSeconds: z.number().optional(),
  width: z.number().int().optional().describe('the display width: rotation and non-square pixels applied'),
  height: z.number().int().optional(),
});

/** A video's id: a ULID, as uploads make them (anything else is a video that does not exist). */
export const videoIdCursor = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a cursor as this API gives out');

/** A video with its links, as GET /videos/:id answers (and a regeneration, pending again). */
export const videoState = videoListItem.extend({
  tenant: z.string(),
  key: z.string(),
  error: z.string().optional(),
  codec: z.string().optional(),
  thumbnails: z.array(thumbnailLink),
  poster: z.object({ url: z.string().url(), atSeconds: z.number(), score: z.number().nullable() }).optional(),
  storyboard: z.object({ vtt: z.string().url(), json: z.string().url(), images: z.array(z.string().url()) }).optional(),
  preview: z.object({ url: z.string().url() }).optional(),
});
