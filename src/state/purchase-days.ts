import { ColumnSlab, aligned } from './tile-level.js';

/**
 * Which recent UTC days a customer purchased on, as a bitmap per slot covering the `span` days up to its latest
 * purchase day: enough to merge same-day purchases into one transaction (BG/NBD's unit) exactly, whatever order
 * they arrive in. An event can be at most the store's horizon older than the watermark, and a customer's latest
 * purchase is never after the watermark, so with `span` > horizon + 1 every accepted purchase day lands inside
 * the bitmap; days leaving it are already counted and need no bit.
 */
export class PurchaseDayBits {
  /** Days covered per slot (a multiple of 32). */
  readonly span: number;
  private readonly words: number;
  bits: Uint32Array;

  /** `slab`: where the bitmaps are carved from (default: a slab of their own). */
  constructor(horizonDays: number, capacity: number, slab?: ColumnSlab) {
    this.words = Math.ceil((horizonDays + 2) / 32);
    this.span = this.words * 32;
    this.bits = new Uint32Array(0);
    this.grow(capacity, slab);
  }

  get byteLength(): number {
    return this.bits.byteLength;
  }

  /** Bytes {@link grow} takes from a slab for `capacity` slots, alignment included. */
  bytesFor(capacity: number): number {
    return aligned(capacity * this.words * 4);
  }

  /** Re-allocates for `capacity` slots from `slab` (default: a slab of its own), keeping existing slots. */
  grow(capacity: number, slab = new ColumnSlab(this.bytesFor(capacity))): void {
    const bits = slab.take(Uint32Array, capacity * this.words);
    bits.set(this.bits);
    this.bits = bits;
  }

  clear(slot: number): void {
    this.bits.fill(0, slot * this.words, (slot + 1) * this.words);
  }

  /**
   * Loads bitmaps saved with another span (state.horizonDays changed): saved bit b of a slot is the day
   * congruent to b modulo the saved span within (latest - savedSpan, latest], so every day is put back exactly;
   * days older than this bitmap's span drop out (already counted). `latestDay(slot)`: -Infinity when none.
   */
  loadRelayout(saved: Uint32Array, savedSpan: number, latestDay: (slot: number) => number): void {
    const savedWords = savedSpan / 32;
    for (let slot = 0; slot * savedWords < saved.length; slot++) {
      this.clear(slot);
      const latest = latestDay(slot);
      if (!Number.isFinite(latest)) continue;
      for (let b = 0; b < savedSpan; b++) {
        if (((saved[slot * savedWords + (b >>> 5)]! >>> (b & 31)) & 1) === 0) continue;
        const day = latest - ((((latest - b) % savedSpan) + savedSpan) % savedSpan);
        if (day > latest - this.span) this.set(slot, day, true);
      }
    }
  }

  /** The slot's words, for snapshots. */
  range(from: number, to: number): Uint32Array {
    return this.bits.subarray(from * this.words, to * this.words);
  }

  /**
   * Marks a purchase on UTC day `day`, given the slot's latest purchase day before it (`-Infinity`: none).
   * True when the day is a new purchase day. A day older than the bitmap (only with a horizon above the span)
   * cannot be checked and counts as new.
   */
  mark(slot: number, day: number, latestDay: number): boolean {
    const span = this.span;
    if (day > latestDay) {
      // Days (latestDay, day] enter the window: clear their bits (they held days `span` older).
      if (day - latestDay >= span) this.clear(slot);
      else for (let d = latestDay + 1; d < day; d++) this.set(slot, d, false);
      this.set(slot, day, true);
      return true;
    }
    if (day <= latestDay - span) return true;
    if (this.get(slot, day)) return false;
    this.set(slot, day, true);
    return true;
  }

  private get(slot: number, day: number): boolean {
    const bit = ((day % this.span) + this.span) % this.span;
    return ((this.bits[slot * this.words + (bit >>> 5)]! >>> (bit & 31)) & 1) === 1;
  }

  private set(slot: number, day: number, on: boolean): void {
    const bit = ((day % this.span) + this.span) % this.span;
    const i = slot * this.words + (bit >>> 5);
    const mask = 1 << (bit & 31);
    this.bits[i] = on ? this.bits[i]! | mask : this.bits[i]! & ~mask;
  }
}
