/**
 * The memory side of replaying an out-of-order history: valid events held (up to a bound) and handed back
 * sorted by event time, ties in the order they were read.
 */
import type { CustomerEvent } from '../contract/event.js';
import type { DecodedEvent } from '../decode/types.js';

const EMPTY = new Uint8Array(0);

/**
 * Valid events held for sorting. Only the decoded event is kept (not the message bytes, which are views into
 * whole read chunks, nor the subject): the replay needs nothing else, and it keeps memory to the events.
 */
export class EventTimeSort {
  private readonly events: CustomerEvent[] = [];
  private ts = new Float64Array(4096);

  /** Events held so far. */
  get size(): number {
    return this.events.length;
  }

  /** Holds a batch of valid events (the caller bounds how many). */
  push(batch: readonly DecodedEvent[]): void {
    for (const d of batch) {
      if (this.events.length === this.ts.length) {
        const grown = new Float64Array(this.ts.length * 2);
        grown.set(this.ts);
        this.ts = grown;
      }
      this.ts[this.events.length] = d.event.ts;
      this.events.push(d.event);
    }
  }

  /**
   * The held events sorted by (ts, then read order), in batches of `batchSize`; the hold is emptied. Sequences
   * are renumbered 1.. in the new order: the store takes a sequence at or below a customer's last one for a
   * redelivery and would skip the customer's earlier-read, later-sorted events.
   */
  *sorted(batchSize: number): Generator<DecodedEvent[]> {
    const n = this.events.length;
    const ts = this.ts;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    // The read index breaks ties, so the order is stable whatever the sort algorithm.
    order.sort((a, b) => ts[a]! - ts[b]! || a - b);
    const events = this.events.splice(0);
    this.ts = new Float64Array(0);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const batch: DecodedEvent[] = new Array<DecodedEvent>(end - start);
      for (let k = start; k < end; k++) {
        const event = events[order[k]!]!;
        batch[k - start] = { event, subject: '', data: EMPTY, streamSeq: k + 1, publishedAtMs: event.ts };
      }
      yield batch;
    }
  }
}

/** The first place event time goes backwards, tracked batch by batch. */
export class EventTimeOrder {
  private maxTs = -Infinity;

  /** False once an event is earlier than one before it (this batch or an earlier one). */
  accept(batch: readonly DecodedEvent[]): boolean {
    let max = this.maxTs;
    for (const d of batch) {
      const ts = d.event.ts;
      if (ts < max) return false;
      max = ts;
    }
    this.maxTs = max;
    return true;
  }

  /** {@link accept} on bare event times; NaN (no time) is skipped. */
  acceptTimes(times: ArrayLike<number>): boolean {
    let max = this.maxTs;
    for (let i = 0; i < times.length; i++) {
      const ts = times[i]!;
      if (ts < max) return false;
      if (ts > max) max = ts; // NaN compares false both ways: skipped
    }
    this.maxTs = max;
    return true;
  }
}
