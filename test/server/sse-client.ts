// Reads a text/event-stream response in tests: parsed messages (event, id, data) and the raw
// text, until a named event (or one `until` accepts) arrives or the stream ends; then it leaves.
// The deadline only ends a stream that hangs.
export type SseMessage = { event: string; id?: string; data: unknown };

export async function readEventStream(
  response: Response,
  until: string | ((message: SseMessage) => boolean) = 'done',
  timeoutMs = 300_000,
  /** Called with the raw text so far after every chunk (comments such as heartbeats included). */
  onText?: (raw: string) => void,
): Promise<{ messages: SseMessage[]; raw: string }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const messages: SseMessage[] = [];
  let raw = '';
  let buffer = '';
  const deadline = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      raw += value;
      buffer += value;
      onText?.(raw);
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = block.split('\n').filter((line) => line && !line.startsWith(':'));
        if (!fields.length) continue;
        const field = (name: string) => fields.filter((line) => line.startsWith(`${name}:`)).map((line) => line.slice(name.length + 1).trimStart());
        const message: SseMessage = { event: field('event')[0] ?? 'message', id: field('id')[0], data: JSON.parse(field('data').join('\n')) };
        messages.push(message);
        if (typeof until === 'string' ? message.event === until : until(message)) return { messages, raw };
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => undefined);
  }
  return { messages, raw };
}
