// An operation's event log as a stream: every event is stored first, then subscribers are woken,
// so a late subscriber replays from the store and a live one never misses or repeats an event.
import { EventEmitter } from 'node:events';
import type { OperationStatus, OperationStreamItem } from './tenant-service-types.js';
import type { TenantStore } from './tenant-store.js';

const FINISHED: OperationStatus[] = ['succeeded', 'failed', 'interrupted'];

export function createOperationFeed(store: TenantStore) {
  const wake = new EventEmitter();
  wake.setMaxListeners(0);

  function changed(operationId: string) {
    wake.emit(operationId);
  }

  return {
    record(operationId: string, event: Record<string, unknown>) {
      store.appendEvent(operationId, event);
      changed(operationId);
    },
    /** Call after the operation's status changed (started or finished). */
    changed,
    async *follow(operationId: string, signal?: AbortSignal): AsyncIterable<OperationStreamItem> {
      let seq = 0;
      for (;;) {
        // Listen before reading, so a change between the read and the wait still wakes us.
        const change = nextChange(operationId, signal);
        try {
          // Status before events: a finished status means every event is already stored.
          const operation = store.getOperation(operationId);
          for (const event of store.eventsAfter(operationId, seq)) {
            seq = event.seq;
            yield { type: 'event', data: event };
          }
          if (!operation) return;
          if (FINISHED.includes(operation.status)) {
            yield { type: 'done', data: { operationId, status: operation.status, ...(operation.error ? { error: operation.error } : {}) } };
            return;
          }
          if (signal?.aborted) return;
          await change.happened;
        } finally {
          change.stop();
        }
      }
    },
  };

  function nextChange(operationId: string, signal?: AbortSignal) {
    let stop = () => {};
    const happened = new Promise<void>((resolve) => {
      stop = () => {
        wake.off(operationId, stop);
        signal?.removeEventListener('abort', stop);
        resolve();
      };
      wake.on(operationId, stop);
      signal?.addEventListener('abort', stop, { once: true });
    });
    return { happened, stop };
  }
}
