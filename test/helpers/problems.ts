// Test check: an answer is an RFC 9457 problem (application/problem+json, with type, title, status
// and detail) of the expected status. It only reads the response; it never retries.
import type { Test } from 'tap';

/** The status and a problem+json body with that status; resolves with the body. */
export async function expectProblem(t: Test, response: Response, status: number, what: string): Promise<Record<string, any>> {
  t.equal(response.status, status, `${what}: ${status}`);
  t.match(response.headers.get('content-type'), /^application\/problem\+json/, `${what}: problem+json`);
  const body = (await response.json()) as Record<string, any>;
  t.match(body, { type: String, title: String, status, detail: String }, `${what}: problem fields`);
  return body;
}
