// The shapes /videos, /uploads and /thumbnails answer with: a thumbnail link, and an accepted video, are the same everywhere.
// Schemas only: never any logic, so the OpenAPI document and the answers cannot disagree.
import { z } from 'zod';
import { tenantIdSchema } from '../../../domain/tenant-id.js';

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
