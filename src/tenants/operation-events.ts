// An operation's engine events as rows: an attempt records them in batches under its fencing
// token and wakes every replica with one NOTIFY per batch; a follower replays from the table and
// waits for the next wake-up, so a client on any replica sees an operation run on any other.
// A lost notification costs at most one safety poll; it never loses or repeats an event.
import { EventEmitter } from 'node:events';
import type { Database } from '../db/database.js';
import { createNotifier } from '../db/notifications.js';
import { isFinished } from '../domain/tenant-lifecycle.js';
import { appendEvents, eventsAfter, getOperation } from './tenant-records.js';
import type { OperationStreamItem } from './tenant-types.js';

export const OPERATION_CHANNEL = 'thumbforge_operations';
const FLUSH_EVERY_MS = 200;
const FLUSH_AT_EVENTS = 50;
/** A follower re-reads this often even without a wake-up (a NOTIFY sent while it reconnected). */
const SAFETY_POLL_MS = 5_000;

export type OperationEventLog = Awaited<ReturnType<typeof createOperationEventLog>>;

export async function createOperationEventLog(db: Database) {
  const notifier = createNotifier(db, OPERATION_CHANNEL);
  const wake = new EventEmitter();
  wake.setMaxListeners(0);
  const unlisten = await db.listen(
    OPERATION_CHANNEL,
    (operationId) => wake.emit(operationId),
    // After a reconnect anything may have been missed: wake every follower to re-read.
    () => wake.emit('*'),
  );

  return {
    /** Tells every replica the operation changed (status or events). */
    changed(operationId: string) {
      notifier.notify(operationId);
    },

    /**
     * A recorder for one attempt: events are buffered and written in batches; `flush` writes what
     * is left. A batch refused because a later attempt holds the operation calls `onFenced`.
     */
    recorder(operationId: string, fencingToken: number, onFenced: () => void) {
      let buffer: Array<Record<string, unknown>> = [];
      let writing: Promise<void> = Promise.resolve();
      let timer: NodeJS.Timeout | undefined;
      const write = () => {
        clearTimeout(timer);
        timer = undefined;
        const batch = buffer;
        buffer = [];
        writing = writing.then(async () => {
          if (batch.length === 0) return;
          if (!(await appendEvents(db, operationId, fencingToken, batch))) return onFenced();
          notifier.notify(operationId);
        });
        return writing;
      };
      return {
        record(event: Record<string, unknown>) {
          buffer.push(event);
          if (buffer.length >= FLUSH_AT_EVENTS) void write().catch(() => undefined);
          else timer ??= setTimeout(() => void write().catch(() => undefined), FLUSH_EVERY_MS);
        },
        /** Writes everything recorded so far; rejects if the database refused it. */
        flush: () => write(),
      };
    },

    /** Every event after `afterSeq`, then live ones, then `done` once the operation has ended. */
    async *follow(operationId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<OperationStreamItem> {
      let seq = afterSeq;
      for (;;) {
        // Listen before reading, so a change between the read and the wait still wakes us.
        const change = nextChange(operationId, signal);
        try {
          // Status before events: a finished status means every event is already stored.
          const operation = await getOperation(db, operationId);
          for (let page = await eventsAfter(db, operationId, seq); page.length > 0; page = await eventsAfter(db, operationId, seq)) {
            for (const event of page) {
              seq = event.seq;
              yield { type: 'event', data: event };
            }
          }
          if (!operation) return;
          if (isFinished(operation.status)) {
            yield { type: 'done', data: { operationId, status: operation.status, ...(operation.error ? { error: operation.error } : {}) } };
            return;
          }
          if (signal.aborted) return;
          await change.happened;
        } finally {
          change.stop();
        }
      }
    },

    async close() {
      await notifier.close();
      await unlisten();
    },
  };

  function nextChange(operationId: string, signal: AbortSignal) {
    let stop = () => {};
    const happened = new Promise<void>((resolve) => {
      const timer = setTimeout(() => stop(), SAFETY_POLL_MS);
      stop = () => {
        clearTimeout(timer);
        wake.off(operationId, stop);
        wake.off('*', stop);
        signal.removeEventListener('abort', stop);
        resolve();
      };
      wake.on(operationId, stop);
      wake.on('*', stop);
      signal.addEventListener('abort', stop, { once: true });
    });
    return { happened, stop };
  }
}
