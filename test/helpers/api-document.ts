// Checks a test's answers against the API document: the test records every answer it gets through
// `recordingApi`, then `expectDocumented` finds each (method, path template, status) among the
// document's responses, and each problem answer documented as problem+json.
import type { Test } from 'tap';
import { json } from './http.js';
import type { TestService } from './service.js';

export type Answer = { method: string; path: string; status: number; contentType: string };

/** The service's api, recording every answer in `answers`. */
export function recordingApi(service: TestService): { api: TestService['api']; answers: Answer[] } {
  const answers: Answer[] = [];
  const api: TestService['api'] = async (path, init) => {
    const response = await service.api(path, init);
    answers.push({ method: init?.method ?? 'GET', path: path.split('?')[0]!, status: response.status, contentType: response.headers.get('content-type') ?? '' });
    return response;
  };
  return { api, answers };
}

/** Checks every distinct answer is documented; resolves with how many distinct answers there were. */
export async function expectDocumented(t: Test, service: TestService, answers: Answer[]): Promise<number> {
  const document = await json(await service.api('/openapi.json', { token: null }));
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const seen = new Set<string>();
  for (const { method, path, status, contentType } of answers) {
    const template = templates.find(({ pattern }) => pattern.test(path))?.template;
    const operation = template ? document.paths[template][method.toLowerCase()] : undefined;
    // A hidden route, an unknown path or a wrong method has no operation to document it.
    if (!operation) continue;
    const name = `${method} ${template} ${status}`;
    if (seen.has(name)) continue;
    seen.add(name);
    const documented = operation.responses[String(status)];
    t.ok(documented, `${name} is documented`);
    if (status >= 400 && documented && contentType.startsWith('application/problem+json')) {
      t.ok(documented.content?.['application/problem+json']?.schema, `${name} is documented as problem+json`);
    }
  }
  return seen.size;
}
