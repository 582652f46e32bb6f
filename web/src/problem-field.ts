// Which form field an API 400 is about, read from the validation path its detail starts with
// (`body/thumbnail/widths/0: …`). Pure; the detail itself is always shown as the API says it.
import { ApiError } from './api-client.js';

/** One of `fields`, or undefined when the error is not a 400 about one of them (show it for the whole form). */
export function problemField<Field extends string>(error: unknown, fields: readonly Field[]): Field | undefined {
  if (!(error instanceof ApiError) || error.status !== 400) return undefined;
  const name = /^body\/(?:thumbnail\/)?(\w+)/.exec(error.problem.detail ?? '')?.[1];
  return fields.find((field) => field === name);
}
