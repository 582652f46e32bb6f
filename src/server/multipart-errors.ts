// Recognises the multipart parser's (busboy's) errors, which carry no status code: a malformed
// upload body is the client's fault and answers 400, never 500. It never inspects any other error.
import { InvalidRequest } from '../domain/errors.js';

const MALFORMED_MULTIPART = /^(Multipart: Boundary not found|Unexpected end of multipart data|\w+ terminated early due to unexpected end of multipart data)$/;

/** The error as the client should see it: a 400 for a malformed multipart body, anything else unchanged. */
export function asMultipartProblem(error: unknown): unknown {
  if (error instanceof Error && !('statusCode' in error) && MALFORMED_MULTIPART.test(error.message)) {
    return new InvalidRequest(`the multipart/form-data body is malformed: ${error.message}`);
  }
  return error;
}
