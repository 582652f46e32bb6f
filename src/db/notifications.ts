// Batched NOTIFY for wake-ups across replicas (SSE followers): the notifications asked for within
// one short window go out as one statement, one pg_notify per distinct payload. It never throws at
// the caller: a lost wake-up goes to onError, and readers must catch up on their own next read.
// Payloads are ids (NOTIFY allows under 8000 bytes), never the data itself.
import type { Database } from './database.js';
import { assertChannelName } from './channel-name.js';

const WINDOW_MS = 10;

export type Notifier = {
  notify(payload: string): void;
  /** LISTENs on the notifier's channel (see Database.listen); returns an unlisten function. */
  subscribe(onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** Sends what is pending now; resolves once everything asked for so far was sent (or failed). */
  flush(): Promise<void>;
  /** Flushes, then sends nothing more. */
  close(): Promise<void>;
};

export function createNotifier(db: Database, channel: string, options: { onError?: (error: unknown) => void; windowMs?: number } = {}): Notifier {
  assertChannelName(channel);
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let sent: Promise<void> = Promise.resolve();
  let closed = false;

  const send = async (payloads: string[]) => {
    try {
      await db.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [channel, payloads]);
    } catch (error) {
      options.onError?.(error);
    }
  };

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.size > 0) {
      const payloads = [...pending];
      pending = new Set();
      sent = sent.then(() => send(payloads));
    }
    return sent;
  };

  return {
    notify(payload) {
      if (closed) return;
      pending.add(payload);
      timer ??= setTimeout(() => void flush(), options.windowMs ?? WINDOW_MS);
    },
    subscribe: (onPayload, onReconnect) => db.listen(channel, onPayload, onReconnect),
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
