// Caps what one tenant holds open on this replica at once (streamed uploads, event streams): a
// slot is taken before any work and given back exactly once, and one past the cap is refused with
// TooManyRequests (429). Counts are per replica, in memory; it never waits for a slot to free up.
import { TooManyRequests } from '../domain/errors.js';

export type TenantSlots = {
  /** Takes one of the tenant's slots; the returned function gives it back (calling it again does nothing). */
  take(tenantId: string): () => void;
};

/** `what` names the slots in the refusal ("streamed uploads"); `retryAfterSeconds` is the Retry-After it suggests. */
export function tenantSlots(what: string, max: number, retryAfterSeconds: number): TenantSlots {
  const held = new Map<string, number>();
  return {
    take(tenantId) {
      const count = held.get(tenantId) ?? 0;
      if (count >= max) throw new TooManyRequests(`tenant "${tenantId}" already has ${max} ${what} open on this replica; retry once one has ended`, retryAfterSeconds);
      held.set(tenantId, count + 1);
      let given = false;
      return () => {
        if (given) return;
        given = true;
        const left = held.get(tenantId)! - 1;
        if (left === 0) held.delete(tenantId);
        else held.set(tenantId, left);
      };
    },
  };
}
