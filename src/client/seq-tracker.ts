/** The default bound of {@link createSeqTracker}: customers whose last `seq` is remembered. */
export const DEFAULT_MAX_TRACKED_CUSTOMERS = 100_000;

/**
 * Remembers the last `seq` seen per customer, for at most `maxCustomers` customers (least recently updated
 * forgotten first), to drop stale and duplicate score updates.
 */
export interface SeqTracker {
  /**
   * True when `seq` is above the last seen for the customer (or none is remembered), and records it; false for a
   * duplicate or an older update, which the caller drops.
   */
  accept(customerId: string, seq: number): boolean;
  /** Forgets the customer: its next update is accepted whatever its `seq` (after an eviction or an erase). */
  forget(customerId: string): void;
  /** Customers remembered now (≤ the bound). */
  readonly size: number;
}

/**
 * A {@link SeqTracker} bounded at `maxCustomers` (default {@link DEFAULT_MAX_TRACKED_CUSTOMERS}; ~100 bytes per
 * customer with a short id, so ~10 MB at the default). An LRU over a `Map`: its iteration order is insertion
 * order, so re-inserting on every accepted update keeps the least recently updated customer first, and dropping
 * it costs one iterator step. A customer forgotten by the bound accepts its next update even if stale: size the
 * bound above the number of customers whose updates can arrive out of order at once.
 */
export function createSeqTracker(maxCustomers: number = DEFAULT_MAX_TRACKED_CUSTOMERS): SeqTracker {
  if (!Number.isInteger(maxCustomers) || maxCustomers < 1) {
    throw new RangeError(`maxCustomers: expected a whole number >= 1, got ${maxCustomers}`);
  }
  const last = new Map<string, number>();
  return {
    accept(customerId, seq) {
      const seen = last.get(customerId);
      if (seen !== undefined && seq <= seen) return false;
      // delete + set moves the key to the end (most recent); a plain set would keep its old position.
      if (seen !== undefined) last.delete(customerId);
      else if (last.size >= maxCustomers) {
        const oldest = last.keys().next();
        if (oldest.done !== true) last.delete(oldest.value);
      }
      last.set(customerId, seq);
      return true;
    },
    forget(customerId) {
      last.delete(customerId);
    },
    get size() {
      return last.size;
    },
  };
}
