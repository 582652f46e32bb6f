// The direct-upload expiry queue, as data: one delayed job per upload, sent in the transaction that
// records the upload and due at its expiry (startAfter), retried while the store is away; the
// bucket's lifecycle rule stays the backstop past the last retry. Never holds work itself.
import { z } from 'zod';
import { jobPayload, type QueueDefinition } from '../../db/job-engine.js';

export const UPLOAD_EXPIRY_QUEUE = 'direct-upload-expiry';

export const uploadExpiryPayload = jobPayload(1, z.object({ uploadId: z.string().min(1) }));

export const uploadExpiryQueue: QueueDefinition = {
  name: UPLOAD_EXPIRY_QUEUE,
  policy: 'standard',
  // Every five minutes for six hours: a store outage's worth.
  retryLimit: 72,
  retryDelay: 300,
  // Listing, aborting and deleting one key: minutes mean a hung store call.
  expireInSeconds: 300,
  payload: uploadExpiryPayload,
};
