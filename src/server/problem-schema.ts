// The problem document (RFC 9457) every error answers with, as one zod schema: the error handler
// builds bodies of this shape and every route's error responses are declared with it. It never
// carries a stack, a token or anything the client did not send.
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
});

export type Problem = z.infer<typeof problemSchema>;
