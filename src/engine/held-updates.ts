import type { StateReader, StateWriter } from '../snapshot/state-io.js';

/**
 * Customers whose score updates are held back while the engine works off a backlog, each with the event time of
 * its latest evaluation. During a replay every event moves a customer's score and each such update is stale the
 * moment it is published: holding them and publishing ONE update per customer with its latest scores once caught
 * up spares consumers a flood of superseded updates, and the engine the explaining, encoding and publishing of
 * each (a quarter of its CPU in a replay). 8 bytes per customer slot while anything is held, none once trimmed after a backlog; held slots are also kept in a list so the
 * release does not scan every slot.
 */
export class HeldUpdates {
  // Event time of the customer's latest held evaluation per slot; NaN: nothing held.
  private atMs = new Float64Array(0);
  // Held slots in the order they were first held, from `head` on; may hold stale entries (dropped since).
  private queue: number[] = [];
  private head = 0;
  private count = 0;
  private heldSinceTrim = false;

  /** Customers with a held update. */
  get size(): number {
    return this.count;
  }

  /** Bytes of the per-slot column (0 while nothing is held). */
  get byteLength(): number {
    return this.atMs.byteLength;
  }

  /** Holds the update of the customer in `slot` as of its evaluation at `atMs` (a later one replaces it). */
  hold(slot: number, atMs: number): void {
    this.heldSinceTrim = true;
    if (slot >= this.atMs.length) this.grow(slot);
    const held = this.atMs[slot]!;
    if (Number.isNaN(held)) {
      if (this.queue.length - this.head > 2 * this.count + 1024) this.compact();
      this.queue.push(slot);
      this.count++;
    }
    if (!(atMs <= held)) this.atMs[slot] = atMs;
  }

  /** Forgets a held update (the customer was evicted or erased, or a newer update was published). */
  drop(slot: number): void {
    if (slot >= this.atMs.length || Number.isNaN(this.atMs[slot]!)) return;
    this.atMs[slot] = Number.NaN;
    this.count--;
  }

  /** Takes up to `max` held customers, oldest hold first, with the event time of each one's evaluation. */
  take(max: number): { slots: number[]; atMs: Float64Array } {
    const slots: number[] = [];
    const at: number[] = [];
    let i = this.head;
    for (; i < this.queue.length && slots.length < max; i++) {
      const slot = this.queue[i]!;
      const t = this.atMs[slot]!;
      if (Number.isNaN(t)) continue; // dropped since it was queued
      slots.push(slot);
      at.push(t);
      this.atMs[slot] = Number.NaN;
      this.count--;
    }
    this.head = i;
    if (this.head === this.queue.length) [this.queue, this.head] = [[], 0];
    return { slots, atMs: Float64Array.from(at) };
  }

  /** Writes the held evaluation times of slots `from` to `to` for a snapshot. */
  saveState(w: StateWriter, from: number, to: number): void {
    const out = new Float64Array(to - from).fill(Number.NaN);
    out.set(this.atMs.subarray(from, Math.min(to, this.atMs.length)));
    w.array('atMs', out);
  }

  /** Takes a snapshot's held updates; `r` undefined (a snapshot written before updates were held): none. */
  loadState(r: StateReader | undefined): void {
    this.clear();
    if (r === undefined) return;
    const saved = r.array('atMs', Float64Array);
    for (let slot = 0; slot < saved.length; slot++) {
      if (!Number.isNaN(saved[slot]!)) this.hold(slot, saved[slot]!);
    }
  }

  /**
   * Lets go of the per-slot column (8 B per customer) when nothing is held now and nothing was since the previous
   * call: holding happens only in a backlog, and between backlogs the column is not worth keeping. Called every
   * idle check (250 ms) — not the moment the last update is released, so an engine hovering at the backlog
   * threshold does not allocate and fill the column again for every batch.
   */
  trim(): void {
    if (this.count === 0 && !this.heldSinceTrim) this.clear();
    this.heldSinceTrim = false;
  }

  private clear(): void {
    this.atMs = new Float64Array(0);
    this.queue = [];
    this.head = 0;
    this.count = 0;
  }

  /** Keeps only the live entries of the queue (drops and re-holds leave stale ones behind). */
  private compact(): void {
    const live = new Set<number>();
    for (let i = this.head; i < this.queue.length; i++) {
      const slot = this.queue[i]!;
      if (!Number.isNaN(this.atMs[slot]!)) live.add(slot);
    }
    [this.queue, this.head] = [[...live], 0];
  }

  private grow(slot: number): void {
    let capacity = Math.max(1024, this.atMs.length);
    while (capacity <= slot) capacity *= 2;
    const next = new Float64Array(capacity).fill(Number.NaN);
    next.set(this.atMs);
    this.atMs = next;
  }
}
