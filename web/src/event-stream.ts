// Follows a server-sent event stream over fetch(), because EventSource cannot send the
// Authorization header; the SSE framing is parsed by eventsource-parser, never by hand.
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import type { ApiClient } from './api-client.js';

/** Calls `onMessage` for each event until the server ends the stream or `signal` aborts. */
export async function followEvents(
  client: ApiClient,
  path: string,
  signal: AbortSignal,
  onMessage: (message: EventSourceMessage) => void,
): Promise<void> {
  const response = await client.open(path, signal);
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onMessage(value);
  }
}
