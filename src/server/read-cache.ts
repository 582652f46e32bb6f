// A replica's cache of what its catalog reads answer (a video with its links, a page of videos or
// of thumbnails) and, where it is the only replica, of its key lookups. Kept per tenant for at most
// a couple of seconds, and dropped for a tenant as soon as anything of it changes: this replica's
// own writes at once, every replica's through the database's change notices (LISTEN). It never
// keeps a failure or an absent answer, never keeps an answer loaded while a change arrived, and
// never hands out a link past its signing window.
import type { Database } from '../db/database.js';

/** Where the database says a tenant's reads changed: migration 9's triggers send the tenant's id. */
export const READ_CHANGES_CHANNEL = 'thumbforge_reads';

/** How long an answer is kept at most: the bound on a stale read when a change notice is lost. */
export const READ_CACHE_TTL_MS = 2_000;
/** Answers kept in all; past it every answer is dropped and loaded again as asked for (a bound on memory). */
const MAX_ENTRIES = 20_000;

type Entry = { value: unknown; freshUntil: number };

export type ReadCache = {
  /**
   * Whether key lookups are kept too: only where one process holds the database (PGlite), so its
   * own writes are all there are and a revoked key is refused at once. Replicas on a server look a
   * key up on every request: a notice reaches the others a moment after the revoke answered.
   */
  readonly keepsKeys: boolean;
  /**
   * The answer kept for (tenant, what) while fresh; otherwise `load`'s, kept until `freshUntil`
   * (epoch ms; at most the TTL from now) unless a change arrived meanwhile. Kept answers are
   * frozen, so callers share them.
   */
  read<T>(tenantId: string, what: string, load: () => Promise<T>, freshUntil?: number): Promise<T>;
  /** Something of the tenant changed: its answers are dropped. */
  changed(tenantId: string): void;
  /** Anything may have changed (a missed notice, a write of the admin's): every answer is dropped. */
  changedAll(): void;
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}

export function createReadCache(options: { keepsKeys?: boolean; now?: () => number } = {}): ReadCache {
  const now = options.now ?? Date.now;
  const tenants = new Map<string, Map<string, Entry>>();
  let entries = 0;
  /** Counts every change: an answer loaded across one is not kept, since it may predate it. */
  let changes = 0;

  function changed(tenantId: string) {
    changes++;
    entries -= tenants.get(tenantId)?.size ?? 0;
    tenants.delete(tenantId);
  }

  function changedAll() {
    changes++;
    entries = 0;
    tenants.clear();
  }

  return {
    keepsKeys: options.keepsKeys ?? false,
    async read<T>(tenantId: string, what: string, load: () => Promise<T>, freshUntil = Infinity): Promise<T> {
      const kept = tenants.get(tenantId)?.get(what);
      if (kept && kept.freshUntil > now()) return kept.value as T;
      const changesBefore = changes;
      const value = await load();
      if (value === undefined || changes !== changesBefore) return value;
      if (entries >= MAX_ENTRIES) changedAll();
      let answers = tenants.get(tenantId);
      if (!answers) tenants.set(tenantId, (answers = new Map()));
      if (!answers.has(what)) entries++;
      answers.set(what, { value: deepFreeze(value), freshUntil: Math.min(freshUntil, now() + READ_CACHE_TTL_MS) });
      return value;
    },
    changed,
    changedAll,
  };
}

/**
 * Drops a tenant's answers whenever the database says something of it changed (migration 9's
 * triggers), and every answer when the notices may have been missed (a reconnect).
 * Resolves with the function that stops following.
 */
export function followReadChanges(db: Pick<Database, 'listen'>, cache: ReadCache): Promise<() => Promise<void>> {
  return db.listen(READ_CHANGES_CHANNEL, (tenantId) => cache.changed(tenantId), () => cache.changedAll());
}
