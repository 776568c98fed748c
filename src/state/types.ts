import type { DecodedEvent, Rejection } from '../decode/types.js';

/** What applying a batch of events did. */
export interface ApplyResult {
  /** Slots of the customers whose state changed, each once, in first-touch order. */
  readonly touched: readonly number[];
  /** Events refused by the state (too old for the horizon). */
  readonly rejected: Rejection[];
  /** Events applied. */
  readonly applied: number;
  /** Events skipped because their stream sequence was already applied for that customer (redelivery). */
  readonly duplicates: number;
}

/**
 * Per-customer rolling features in event time, in columnar typed arrays (one slot per customer).
 * Created by `createCustomerStore(opts)`.
 */
export interface CustomerStore {
  /** Customers held. */
  readonly size: number;
  /** Event-time "now" used for windows: max event time seen, advanced further by {@link advanceTo}. */
  readonly watermarkMs: number;
  /** Applies events in the given order; any order within the allowed lateness yields the same state. */
  apply(events: readonly DecodedEvent[]): ApplyResult;
  /** Moves event time forward (idle stream: wall clock); never backwards. */
  advanceTo(nowMs: number): void;
  /** Writes the slot's feature vector (FEATURES order) at `nowMs` into `out` starting at `offset`. */
  features(slot: number, nowMs: number, out: Float32Array, offset: number): void;
  /** The customer id held in a slot. */
  customerId(slot: number): string;
  /** The slot of a customer, or undefined. */
  slotOf(customerId: string): number | undefined;
  /** Latest event time applied for the slot (epoch ms). */
  lastEventMs(slot: number): number;
}
