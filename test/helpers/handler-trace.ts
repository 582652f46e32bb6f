// Watches, through fastify's handler tracing channel, route handlers start and end in the service
// the test runs in its own process: a test waits for "the server is now handling this request" or
// "the handler has returned" instead of guessing with a delay. Subscribe before the requests are
// made: fastify traces only while someone listens.
import { tracingChannel } from 'node:diagnostics_channel';
import type { Test } from 'tap';

type Store = { request: { method: string; url: string } };

export function handlerTrace(t: Test) {
  const channel = tracingChannel('fastify.request.handler');
  const counts = { start: new Map<string, number>(), asyncEnd: new Map<string, number>() };
  const waiters: Array<() => void> = [];
  const counter = (phase: keyof typeof counts) => (message: unknown) => {
    const { method, url } = (message as Store).request;
    const name = `${method} ${url}`;
    counts[phase].set(name, (counts[phase].get(name) ?? 0) + 1);
    waiters.splice(0).forEach((wake) => wake());
  };
  const handlers = { start: counter('start'), asyncEnd: counter('asyncEnd') };
  channel.start.subscribe(handlers.start);
  channel.asyncEnd.subscribe(handlers.asyncEnd);
  t.teardown(() => {
    channel.start.unsubscribe(handlers.start);
    channel.asyncEnd.unsubscribe(handlers.asyncEnd);
  });

  async function reach(phase: keyof typeof counts, request: string, count: number): Promise<void> {
    while ((counts[phase].get(request) ?? 0) < count) await new Promise<void>((wake) => waiters.push(wake));
  }

  return {
    /** Resolves once `count` handlers of `request` ("POST /videos?tenant=x") have started, in all. */
    started: (request: string, count: number) => reach('start', request, count),
    /** Resolves once `count` handlers of `request` have returned (or thrown), in all. */
    ended: (request: string, count: number) => reach('asyncEnd', request, count),
  };
}
