// Where an image rollout stands, in the numbers its view shows: how many tenants are done, and
// the counts by status in a fixed order (those on their way first). Pure.
import type { Rollout, RolloutTenantStatus } from '../api-types.js';

const ORDER: readonly RolloutTenantStatus[] = ['running', 'queued', 'pending', 'succeeded', 'failed', 'interrupted', 'cancelled', 'skipped'];

/** The non-zero counts, in display order. */
export function rolloutCounts(rollout: Pick<Rollout, 'counts'>): Array<{ status: RolloutTenantStatus; count: number }> {
  return ORDER.map((status) => ({ status, count: rollout.counts[status] })).filter(({ count }) => count > 0);
}

/** Tenants whose `up` has ended, or that were skipped: all but the pending, queued and running. */
export function rolloutDone(rollout: Pick<Rollout, 'counts' | 'total'>): number {
  const { pending, queued, running } = rollout.counts;
  return rollout.total - pending - queued - running;
}
