// The operation queue: one job at a time per tenant, a global limit across tenants.
import t from 'tap';
import { createOperationQueue } from '../../src/stacks/operation-queue.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('jobs of one tenant never overlap; jobs overall stay within the limit', async (t) => {
  const queue = createOperationQueue(2);
  const running = new Map<string, number>();
  let overall = 0;
  let peak = 0;
  const order: string[] = [];
  const job = (tenant: string, label: string) => async () => {
    running.set(tenant, (running.get(tenant) ?? 0) + 1);
    overall++;
    peak = Math.max(peak, overall);
    t.equal(running.get(tenant), 1, `${label} runs alone for ${tenant}`);
    await pause(20);
    order.push(label);
    running.set(tenant, running.get(tenant)! - 1);
    overall--;
    if (label === 'a2') throw new Error('a2 failed');
    return label;
  };
  const results = await Promise.allSettled([
    queue.run('a', job('a', 'a1')),
    queue.run('a', job('a', 'a2')),
    queue.run('a', job('a', 'a3')),
    queue.run('b', job('b', 'b1')),
    queue.run('c', job('c', 'c1')),
  ]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'], 'a failure reaches only its caller');
  t.same(order.filter((label) => label.startsWith('a')), ['a1', 'a2', 'a3'], 'a tenant runs in request order');
  t.equal(peak, 2, 'the global limit holds');
  await queue.idle();
});
