import type { DecodedEvent, Rejection } from '../decode/types.js';
import type { StateReader, StateWriter } from '../snapshot/state-io.js';

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

/** Options of {@link CustomerStore} (`createCustomerStore(opts)`). */
export interface CustomerStoreOptions {
  /**
   * Oldest event accepted, in days before the watermark: an event with `ts < watermarkMs - horizonDays * 1 day`
   * is refused with reason `too_old` and changes nothing.
   * @default 400
   */
  readonly horizonDays?: number;
  /**
   * Customer slots allocated up front; the columns grow by 1.5x when full. Set it near the expected customer count
   * to skip the copies of growing (while one runs, the old columns and the copy are both resident).
   * @default 1024
   */
  readonly initialCapacity?: number;
}

/**
 * Per-customer rolling features in event time, in columnar typed arrays (one slot per customer).
 * Created by `createCustomerStore(opts)`.
 */
export interface CustomerStore {
  /** Customers held. */
  readonly size: number;
  /**
   * Max event time applied (a redelivered event included; offline code may move it further with {@link advanceTo}):
   * the reference of `too_old`.
   * The engine never moves it by the wall clock, so a replay of the same stream accepts and refuses the same.
   */
  readonly watermarkMs: number;
  /** Applies events in the given order; any order within the allowed lateness yields the same state. */
  apply(events: readonly DecodedEvent[]): ApplyResult;
  /**
   * Applies one event: returns the customer's slot, or DUPLICATE (-1: its stream sequence was already applied
   * for that customer) or REJECTED (-2: refused, the rejection is in {@link lastRejection}). `checked`: the verdict
   * {@link check} just gave for this event, so it is not checked twice.
   */
  applyOne(event: DecodedEvent, checked?: number): number;
  /**
   * What {@link applyOne} would do, without doing it: ACCEPTED (0), DUPLICATE or REJECTED (the engine moves its
   * clock, firing due timers, between the verdict and the change).
   */
  check(event: DecodedEvent): number;
  /** The refusal of the last {@link applyOne} that returned REJECTED. */
  readonly lastRejection: Rejection | undefined;
  /** Moves event time forward (idle stream: wall clock); never backwards. */
  advanceTo(nowMs: number): void;
  /** Writes the slot's feature vector (FEATURES order) at `nowMs` into `out` starting at `offset`. */
  features(slot: number, nowMs: number, out: Float32Array, offset: number): void;
  /** The customer id held in a slot. */
  customerId(slot: number): string;
  /** The slot of a customer, or undefined. */
  slotOf(customerId: string): number | undefined;
  /** Latest event time applied for the slot (epoch ms); -1 for a free slot. */
  lastEventMs(slot: number): number;
  /**
   * One past the highest slot ever handed out: live slots are in `[0, slotEnd)`; after {@link remove} some
   * slots in that range are free until reused (see {@link isLive}). Iterate this range to re-score idle customers.
   */
  readonly slotEnd: number;
  /** Whether a slot holds a customer (false for a slot freed by {@link remove} or never used). */
  isLive(slot: number): boolean;
  /**
   * Erases a customer's state (GDPR, eviction): zeroes its columns and frees its slot for reuse — with `hold`, only
   * after {@link releaseHeld}. Returns false when the customer is unknown.
   */
  remove(customerId: string, hold?: boolean): boolean;
  /** Lets a slot freed with `hold` be reused (once nothing queued refers to it). */
  releaseHeld(slot: number): void;
  /** Writes the columns and ids of slots `from` to `to`, and the watermark, for a snapshot (copies). */
  saveState(w: StateWriter, from: number, to: number): void;
  /**
   * Replaces this (empty) store's state with a snapshot's. Returns the slots freed because their customer was saved
   * again at a later slot (a snapshot captured in slices while the customer left and came back): what other parts
   * saved for those slots is stale, and the caller drops it.
   */
  loadState(r: StateReader): number[];
  /** Bytes held by the typed-array columns and the id index (the state's memory), for a gauge. */
  readonly columnBytes: number;
}
