import { TickHeap } from './tick-heap.js';

/**
 * Timers for silent customers: one pending event-time deadline per customer slot, fired by watermark advances
 * (the engine moves the watermark by wall clock when the stream is idle), so "cart added, no purchase within
 * 1 h" or "no app open for 7 days" re-scores the customer at that moment although no event arrives.
 */

/** Default of {@link DeadlineSchedulerOptions.granularityMs}: one bucket per minute of event time. */
export const DEFAULT_GRANULARITY_MS = 60_000;

/** Options of `createDeadlineScheduler(opts)`. */
export interface DeadlineSchedulerOptions {
  /**
   * Width of a bucket in milliseconds. It is only the bucketing: deadlines are kept and fired to the
   * millisecond. Wider buckets mean fewer buckets and longer scans of the bucket holding the watermark.
   * @default 60_000
   */
  readonly granularityMs?: number;
}

/** Pending event-time deadlines, at most one per slot. Created by `createDeadlineScheduler(opts)`. */
export interface DeadlineScheduler {
  /**
   * Sets the slot's deadline to `atMs` (epoch ms, event time), replacing any pending one. A non-finite
   * `atMs` (`Infinity` from {@link nextDeadline}: nothing to wait for, or NaN) cancels; a negative one is 0.
   * Throws RangeError for a slot that is not an integer in [0, 2^31) (a programming error, not input).
   */
  schedule(slot: number, atMs: number): void;
  /** Drops the slot's pending deadline; false when it had none. */
  cancel(slot: number): boolean;
  /**
   * Removes and returns the slots whose deadline is <= `watermarkMs`. Each pending deadline is returned
   * exactly once. Order: by bucket (every slot of an earlier bucket first); within a bucket, in the order
   * deadlines were first scheduled into it. Finer order carries no meaning: a due batch is re-scored at one
   * watermark, and sorting would cost n log n on every call. With `deadlinesOut`, each slot's deadline is pushed
   * there in the same order.
   */
  due(watermarkMs: number, deadlinesOut?: number[]): number[];
  /** The earliest pending deadline (epoch ms), Infinity when none. */
  earliest(): number;
  /** The slot's pending deadline (epoch ms), or -1 when none. */
  deadlineOf(slot: number): number;
  /** Pending deadlines. */
  readonly size: number;
  /** The pending deadlines of slots `from` to `to` (-1: none), for a snapshot. */
  saveDeadlines(from: number, to: number): Float64Array;
  /** Schedules the deadlines a snapshot saved for slots 0.. (into an empty scheduler). */
  loadDeadlines(deadlines: Float64Array): void;
  /** Bytes held: per-slot deadlines, bucket lists (with growth slack), the two tick heaps and an estimate per bucket. */
  memoryBytes(): number;
}

/** Estimated JS overhead of one bucket (Map entry, list object, ArrayBuffer header), for memoryBytes(). */
const BUCKET_OVERHEAD_BYTES = 200;
const NONE = -1;
/** Stale entries tolerated beyond half the pending count before the buckets are compacted. */
const COMPACT_SLACK = 4096;

/** A growable list of slots; one per non-empty bucket, never one per deadline. */
interface SlotList {
  items: Int32Array;
  length: number;
  /** Whether the bucket's tick is in the `live` heap (false once a scan found no valid entry in it). */
  live: boolean;
}

/**
 * Creates an empty deadline scheduler for up to millions of pending deadlines without an object per deadline:
 * per slot an exact deadline in a Float64Array (-1 = none), and a bucket map from `floor(deadline /
 * granularityMs)` to a growable Int32Array of slots. Replacing or cancelling a deadline only rewrites the
 * slot's entry: the old list entry goes stale and is skipped when its bucket is drained (lazy deletion), and
 * the buckets are compacted when stale entries exceed half the pending ones. About 25-30 bytes per pending
 * deadline at a million (bench/timers.bench.ts), against ~180 for a heap of objects.
 *
 * Two min-heaps of bucket ticks keep every step proportional to the buckets it touches, never to all of them
 * (hundreds of thousands with eviction deadlines spread over the retention period at 1-minute buckets):
 * `ticks` holds each bucket's tick exactly once, so due() visits the buckets the watermark passed in order;
 * `live` holds the ticks of buckets that may hold a valid entry, so earliest() skips the buckets left with
 * only stale entries once, not on every recompute.
 */
export function createDeadlineScheduler(opts: DeadlineSchedulerOptions = {}): DeadlineScheduler {
  return new BucketDeadlineScheduler(opts.granularityMs ?? DEFAULT_GRANULARITY_MS);
}

class BucketDeadlineScheduler implements DeadlineScheduler {
  // Fields assigned in one fixed order: one hidden class.
  private readonly granularityMs: number;
  private deadlines = new Float64Array(1024).fill(NONE);
  private readonly buckets = new Map<number, SlotList>();
  /** The tick of every bucket, once each: pushed when a bucket is created, popped when due() drains it away. */
  private readonly ticks = new TickHeap();
  /**
   * Ticks of the buckets with `live` set (a tick may appear twice, and ticks of deleted buckets linger until
   * they reach the top). A bucket whose entries are all stale leaves it but stays in the map until the
   * watermark passes it or a compaction drops it, as before this heap existed: deleting it earlier would
   * change the order due() returns a slot scheduled back into it (its old entry comes back to life) and when
   * compactions happen.
   */
  private readonly live = new TickHeap();
  private pending = 0;
  /** List entries held in all buckets, stale ones included. */
  private entries = 0;
  /** The earliest pending deadline, NaN when it must be recomputed (callers ask before every scored row). */
  private earliestKnown = Infinity;

  constructor(granularityMs: number) {
    if (!(Number.isFinite(granularityMs) && granularityMs >= 1)) {
      throw new RangeError(`granularityMs must be a finite number >= 1, got ${granularityMs}`);
    }
    this.granularityMs = granularityMs;
  }

  get size(): number {
    return this.pending;
  }

  schedule(slot: number, atMs: number): void {
    checkSlot(slot);
    if (!Number.isFinite(atMs)) {
      this.cancel(slot);
      return;
    }
    const at = atMs > 0 ? atMs : 0;
    if (slot >= this.deadlines.length) this.grow(slot);
    const old = this.deadlines[slot]!;
    const tick = Math.floor(at / this.granularityMs);
    this.deadlines[slot] = at;
    if (at < this.earliestKnown) this.earliestKnown = at;
    else if (old === this.earliestKnown && at !== old) this.earliestKnown = Number.NaN;
    // Same bucket as the pending deadline: its entry is already there, so push nothing (no duplicate).
    if (old !== NONE && Math.floor(old / this.granularityMs) === tick) return;
    if (old === NONE) this.pending++;
    this.push(tick, slot);
    // Amortised O(1): a compaction costs O(entries) and comes after at least pending / 2 stale pushes.
    if (this.entries > this.pending + (this.pending >> 1) + COMPACT_SLACK) this.compact();
  }

  cancel(slot: number): boolean {
    // Not a slot index, or none pending: nothing to cancel (a typed array read out of range is undefined).
    const at = this.deadlines[slot];
    if (!Number.isInteger(slot) || at === undefined || at === NONE) return false;
    this.deadlines[slot] = NONE;
    this.pending--;
    if (at === this.earliestKnown) this.earliestKnown = Number.NaN;
    return true;
  }

  deadlineOf(slot: number): number {
    return slot >= 0 && slot < this.deadlines.length ? this.deadlines[slot]! : NONE;
  }

  due(watermarkMs: number, deadlinesOut?: number[]): number[] {
    const out: number[] = [];
    const wmTick = Math.floor(watermarkMs / this.granularityMs);
    const ticks = this.ticks;
    if (ticks.size === 0 || !(wmTick >= ticks.peek()) || !(this.earliest() <= watermarkMs)) return out;
    // Every bucket the watermark reached, in tick order: k log(buckets) for k buckets, however far it jumped.
    // Only the watermark's own bucket can keep entries (a lower bucket's deadlines are all below the watermark):
    // its tick goes back after the loop, which would pop it again.
    let kept = Number.NaN;
    while (ticks.size > 0 && ticks.peek() <= wmTick) {
      const t = ticks.peek();
      ticks.pop();
      if (this.drain(t, watermarkMs, out, deadlinesOut)) kept = t;
    }
    if (!Number.isNaN(kept)) ticks.push(kept);
    // Ticks of the drained buckets left in `live` go now rather than at the next earliest().
    const live = this.live;
    while (live.size > 0 && live.peek() <= wmTick && !this.buckets.has(live.peek())) live.pop();
    if (out.length > 0) this.earliestKnown = Number.NaN;
    return out;
  }

  saveDeadlines(from: number, to: number): Float64Array {
    const out = new Float64Array(to - from).fill(NONE);
    if (from < this.deadlines.length)
      out.set(this.deadlines.subarray(from, Math.min(to, this.deadlines.length)));
    return out;
  }

  loadDeadlines(deadlines: Float64Array): void {
    for (let slot = 0; slot < deadlines.length; slot++) {
      const at = deadlines[slot]!;
      if (at !== NONE) this.schedule(slot, at);
    }
  }

  earliest(): number {
    if (!Number.isNaN(this.earliestKnown)) return this.earliestKnown;
    this.earliestKnown = this.scanEarliest();
    return this.earliestKnown;
  }

  /**
   * The earliest pending deadline by a scan of the lowest live buckets. Buckets are keyed by floor(deadline /
   * granularity): the lowest bucket holding a valid entry has the minimum. Lower ones, all stale, leave `live`
   * for good (until a schedule into them): each is scanned once, not on every recompute.
   */
  private scanEarliest(): number {
    if (this.pending === 0) return Infinity;
    const d = this.deadlines;
    const g = this.granularityMs;
    const live = this.live;
    while (live.size > 0) {
      const tick = live.peek();
      const list = this.buckets.get(tick);
      // Not there (drained or compacted away), or a second copy of a tick already found all stale: skip.
      if (list !== undefined && list.live) {
        let min = Infinity;
        for (let i = 0; i < list.length; i++) {
          const at = d[list.items[i]!]!;
          if (at !== NONE && Math.floor(at / g) === tick && at < min) min = at;
        }
        if (min !== Infinity) return min;
        list.live = false;
      }
      live.pop();
    }
    return Infinity;
  }

  memoryBytes(): number {
    let bytes = this.deadlines.byteLength + this.ticks.byteLength + this.live.byteLength;
    for (const list of this.buckets.values()) bytes += list.items.byteLength + BUCKET_OVERHEAD_BYTES;
    return bytes;
  }

  /**
   * Emits the due slots of bucket `tick`; keeps the valid, not yet due ones (only in the watermark's bucket).
   * True when the bucket stays (it kept some).
   */
  private drain(tick: number, watermarkMs: number, out: number[], deadlinesOut?: number[]): boolean {
    const list = this.buckets.get(tick);
    if (list === undefined) return false;
    const { items, length } = list;
    const d = this.deadlines;
    const g = this.granularityMs;
    let kept = 0;
    for (let i = 0; i < length; i++) {
      const slot = items[i]!;
      const at = d[slot]!;
      // Stale: cancelled, fired already (a duplicate entry), or moved to another bucket since.
      if (at === NONE || Math.floor(at / g) !== tick) continue;
      if (at <= watermarkMs) {
        d[slot] = NONE;
        this.pending--;
        out.push(slot);
        deadlinesOut?.push(at);
      } else items[kept++] = slot;
    }
    this.entries -= length - kept;
    if (kept === 0) {
      this.buckets.delete(tick);
      return false;
    }
    list.length = kept;
    return true;
  }

  private push(tick: number, slot: number): void {
    let list = this.buckets.get(tick);
    if (list === undefined) {
      list = { items: new Int32Array(8), length: 0, live: true };
      this.buckets.set(tick, list);
      this.ticks.push(tick);
      this.live.push(tick);
    } else if (!list.live) {
      // A bucket a scan had found all stale gets a valid entry again.
      list.live = true;
      this.live.push(tick);
    }
    if (list.length === list.items.length) {
      const items = new Int32Array(list.items.length * 2);
      items.set(list.items);
      list.items = items;
    }
    list.items[list.length++] = slot;
    this.entries++;
  }

  /**
   * Drops stale and duplicate entries from every bucket. A slot moved A -> B -> A has two valid entries in A;
   * they are told apart without extra memory by flipping the slot's deadline to `-at - 2` (<= -2, never a
   * real value or NONE) at its first entry, and flipping it back after the bucket.
   */
  private compact(): void {
    const d = this.deadlines;
    const g = this.granularityMs;
    for (const [tick, list] of this.buckets) {
      const { items, length } = list;
      let kept = 0;
      for (let i = 0; i < length; i++) {
        const slot = items[i]!;
        const at = d[slot]!;
        if (at < 0 || Math.floor(at / g) !== tick) continue;
        d[slot] = -at - 2;
        items[kept++] = slot;
      }
      for (let i = 0; i < kept; i++) d[items[i]!] = -d[items[i]!]! - 2;
      this.entries -= length - kept;
      if (kept === 0) this.buckets.delete(tick);
      else {
        list.length = kept;
        // Give back lists that stale entries had grown: to the next power of two >= 2 x kept.
        if (kept * 4 <= items.length && items.length > 8) {
          list.items = items.slice(0, Math.max(8, 2 ** Math.ceil(Math.log2(kept * 2))));
        }
        list.live = true;
      }
    }
    // Every bucket left holds a valid entry. O(buckets), within the O(entries) just spent: it drops the ticks of
    // the buckets deleted above and any duplicates, so neither heap outgrows the map between compactions.
    this.ticks.rebuild(this.buckets.keys(), this.buckets.size);
    this.live.rebuild(this.buckets.keys(), this.buckets.size);
  }

  private grow(slot: number): void {
    let capacity = this.deadlines.length;
    while (capacity <= slot) capacity *= 2;
    const deadlines = new Float64Array(capacity).fill(NONE);
    deadlines.set(this.deadlines);
    this.deadlines = deadlines;
  }
}

function checkSlot(slot: number): void {
  if (!(Number.isInteger(slot) && slot >= 0 && slot < 2 ** 31)) {
    throw new RangeError(`slot must be an integer in [0, 2^31), got ${slot}`);
  }
}

export { isClockFeature, nextDeadline } from './next-deadline.js';
export type { DeadlineThreshold } from './next-deadline.js';
