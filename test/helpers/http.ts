// Reading the API's answers in tests: a JSON body, and a problem+json answer checked field by
// field (status, media type, the RFC 9457 members).
import type { Test } from 'tap';

export type Json = Record<string, any>;

export async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

/** The status and a problem+json body with that status. */
export async function expectProblem(t: Test, response: Response, status: number, what: string) {
  t.equal(response.status, status, `${what}: ${status}`);
  t.match(response.headers.get('content-type'), /^application\/problem\+json/, `${what}: problem+json`);
  const body = await json(response);
  t.match(body, { type: String, title: String, status, detail: String }, `${what}: problem fields`);
  return body;
}
