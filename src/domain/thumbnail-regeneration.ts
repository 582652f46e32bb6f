// A regeneration: the service asks the thumbnailer to extract a stored video's stills again, with an
// `at` of its own or without one. It travels beside `Records` in the S3 event the thumbnailer is
// invoked with, the same on every target (the local function runner's job, the aws asynchronous
// invoke), and its id comes back in the run's meta.json or error.json, so the catalog counts only
// the outcome of the run it waits for. Pure: it never reads or sends anything.
import { ulid } from 'ulid';
import { z } from 'zod';
import { frameAtSchema } from './thumbnail-settings.js';

/** The event field that carries it, beside `Records`: S3 itself never sends one. */
export const REGENERATION_EVENT_FIELD = 'regeneration';

export const regenerationSchema = z
  .object({
    /** A ULID, new for every request. */
    id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/),
    /** This run's frame; absent, the video's own (its upload's `at`), else the tenant's setting. */
    at: frameAtSchema.optional(),
  })
  .strict();

export type Regeneration = z.infer<typeof regenerationSchema>;

/** One regeneration as the service asks the tenant's function for it: the function, the stored video, the regeneration. */
export const regenerationRunSchema = z.object({
  functionName: z.string().min(1),
  bucket: z.string().min(1),
  key: z.string().min(1),
  size: z.number().optional(),
  regeneration: regenerationSchema,
});

export type RegenerationRun = z.infer<typeof regenerationRunSchema>;

export function newRegenerationId(): string {
  return ulid();
}
