// Calls the thumbforge API with the signed-in token in the Authorization header and turns
// problem+json answers into ApiError. The token never goes into a URL.
import type { Problem } from './api-types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `request failed with status ${status}`);
    this.name = 'ApiError';
  }
}

export function authorization(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Reads a failed answer's problem+json; an answer that is not JSON still gives a readable error. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  return new ApiError(response.status, problemFromText(text, response.statusText));
}

export function problemFromText(text: string, fallbackTitle: string): Problem {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as Problem;
  } catch {
    // not JSON: fall through to the status text
  }
  return { title: fallbackTitle || 'request failed' };
}

export type ApiClient = {
  readonly token: string;
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  /** For streams: the raw response of an authorised GET, already checked for an error status. */
  open(path: string, signal: AbortSignal): Promise<Response>;
};

export function apiClient(token: string): ApiClient {
  async function call(path: string, init: RequestInit): Promise<Response> {
    const response = await fetch(path, { ...init, headers: { ...authorization(token), ...init.headers } });
    if (!response.ok) throw await apiErrorOf(response);
    return response;
  }
  async function json<T>(response: Response): Promise<T> {
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
  return {
    token,
    get: async (path, signal) => json(await call(path, { signal, headers: { accept: 'application/json' } })),
    send: async (method, path, body, signal) =>
      json(
        await call(path, {
          method,
          signal,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      ),
    open: (path, signal) => call(path, { signal, headers: { accept: 'text/event-stream' } }),
  };
}

/** The text to show for any error: the API's `detail` when there is one. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
