// Runs engine work one at a time per tenant (one operation per stack, so the engine never meets
// a ConcurrentUpdateError from this process) and at most `limit` at a time overall.
import PQueue from 'p-queue';

export function createOperationQueue(limit: number) {
  const global = new PQueue({ concurrency: limit });
  /** The last job queued per tenant; the next one starts after it settles. */
  const tails = new Map<string, Promise<unknown>>();

  return {
    /** Queues `job` behind the tenant's earlier jobs; it holds a global slot only while it runs. */
    run<T>(tenantId: string, job: () => Promise<T>): Promise<T> {
      const previous = tails.get(tenantId) ?? Promise.resolve();
      const result = previous.catch(() => undefined).then(() => global.add(job));
      const tail = result.catch(() => undefined);
      tails.set(tenantId, tail);
      void tail.then(() => {
        if (tails.get(tenantId) === tail) tails.delete(tenantId);
      });
      return result;
    },
    /** Resolves once every queued job has settled. */
    async idle(): Promise<void> {
      while (tails.size > 0) await Promise.all(tails.values());
    },
  };
}
