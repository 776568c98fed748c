import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeadlineScheduler } from '../../src/segment/timers.js';
import type { DeadlineScheduler } from '../../src/segment/timers.js';

/** The scheduler's compaction threshold: stale entries tolerated beyond half the pending ones. */
const COMPACT_SLACK = 4096;

/**
 * The order contract of `DeadlineScheduler.due`, spelled out with a Map and plain arrays, nothing cached.
 * Slots come by bucket (`floor(deadline / granularity)`), ascending; within a bucket, by the entry the slot got
 * when it was scheduled into that bucket. A slot moved away leaves its entry behind (stale); if it comes back
 * before the entry is dropped, that old entry is the one that counts (A -> B -> A keeps its first place in A).
 * Entries are dropped only when due() drains their bucket (every bucket up to the watermark's, and only when
 * something is due) and by a compaction, which keeps each slot's first valid entry per bucket and runs when
 * entries exceed 1.5 x pending + 4096 after a schedule. That is the whole of the contract: which slots, in which
 * order, with which deadlines. Nothing here is about heaps, so any index over the buckets must agree with it.
 */
class ReferenceTimers {
  readonly deadline = new Map<number, number>();
  private readonly buckets = new Map<number, number[]>();
  private entries = 0;

  constructor(private readonly g: number) {}

  schedule(slot: number, atMs: number): void {
    if (!Number.isFinite(atMs)) {
      this.cancel(slot);
      return;
    }
    const at = atMs > 0 ? atMs : 0;
    const old = this.deadline.get(slot);
    this.deadline.set(slot, at);
    const tick = Math.floor(at / this.g);
    if (old !== undefined && Math.floor(old / this.g) === tick) return;
    const list = this.buckets.get(tick) ?? [];
    this.buckets.set(tick, list);
    list.push(slot);
    this.entries++;
    const pending = this.deadline.size;
    if (this.entries > pending + (pending >> 1) + COMPACT_SLACK) this.compact();
  }

  cancel(slot: number): boolean {
    return this.deadline.delete(slot);
  }

  due(wm: number, deadlinesOut: number[]): number[] {
    const out: number[] = [];
    if (![...this.deadline.values()].some((at) => at <= wm)) return out;
    const wmTick = Math.floor(wm / this.g);
    for (const tick of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (tick > wmTick) break;
      const list = this.buckets.get(tick)!;
      const keep: number[] = [];
      for (const slot of list) {
        if (!this.inBucket(slot, tick)) continue;
        const at = this.deadline.get(slot)!;
        if (at <= wm) {
          out.push(slot);
          deadlinesOut.push(at);
          this.deadline.delete(slot);
        } else keep.push(slot);
      }
      this.entries -= list.length - keep.length;
      if (keep.length === 0) this.buckets.delete(tick);
      else this.buckets.set(tick, keep);
    }
    return out;
  }

  earliest(): number {
    return Math.min(Infinity, ...this.deadline.values());
  }

  private inBucket(slot: number, tick: number): boolean {
    const at = this.deadline.get(slot);
    return at !== undefined && Math.floor(at / this.g) === tick;
  }

  private compact(): void {
    for (const [tick, list] of [...this.buckets]) {
      const keep = [...new Set(list.filter((slot) => this.inBucket(slot, tick)))];
      this.entries -= list.length - keep.length;
      if (keep.length === 0) this.buckets.delete(tick);
      else this.buckets.set(tick, keep);
    }
  }
}

const SLOTS = 48;
const SPAN_MS = 50_000;

const at = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0, max: SPAN_MS }) },
  { weight: 1, arbitrary: fc.constantFrom(-5, Infinity, Number.NaN) },
);
const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('schedule' as const), slot: fc.nat(SLOTS - 1), at }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), slot: fc.nat(SLOTS - 1) }) },
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant('due' as const), wm: fc.integer({ min: -1, max: SPAN_MS }) }),
  },
  // earliest() changes nothing visible, but it is where buckets left with only stale entries are skipped.
  { weight: 3, arbitrary: fc.record({ k: fc.constant('earliest' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('saveLoad' as const) }) },
  // Thousands of reschedules of a few slots: enough stale entries for compactions.
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('burst' as const),
      n: fc.integer({ min: 500, max: 6000 }),
      slots: fc.integer({ min: 1, max: SLOTS }),
      spanMs: fc.integer({ min: 1, max: SPAN_MS }),
      seed: fc.nat(),
    }),
  },
);

describe('deadline scheduler against a reference model', () => {
  it('due() returns the same slots in the same order with the same deadlines, through save/load (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 4000 }), (ops, g) => {
        let s: DeadlineScheduler = createDeadlineScheduler({ granularityMs: g });
        let model = new ReferenceTimers(g);
        const checkDue = (wm: number): void => {
          const gotAt: number[] = [];
          const wantAt: number[] = [];
          expect(s.due(wm, gotAt)).toEqual(model.due(wm, wantAt));
          expect(gotAt).toEqual(wantAt);
        };
        for (const o of ops) {
          if (o.k === 'schedule') {
            s.schedule(o.slot, o.at);
            model.schedule(o.slot, o.at);
          } else if (o.k === 'cancel') {
            expect(s.cancel(o.slot)).toBe(model.cancel(o.slot));
          } else if (o.k === 'due') {
            checkDue(o.wm);
          } else if (o.k === 'earliest') {
            expect(s.earliest()).toBe(model.earliest());
          } else if (o.k === 'saveLoad') {
            // A snapshot: the deadlines by slot, loaded into a fresh scheduler (in slot order).
            const saved = s.saveDeadlines(0, SLOTS);
            s = createDeadlineScheduler({ granularityMs: g });
            s.loadDeadlines(saved);
            const reloaded = new ReferenceTimers(g);
            for (let slot = 0; slot < SLOTS; slot++) {
              const d = model.deadline.get(slot);
              expect(saved[slot]).toBe(d ?? -1);
              if (d !== undefined) reloaded.schedule(slot, d);
            }
            model = reloaded;
          } else {
            // A seeded LCG: the burst is reproducible from the counterexample fast-check prints.
            let x = o.seed >>> 0;
            for (let i = 0; i < o.n; i++) {
              x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
              const slot = x % o.slots;
              const atMs = (x >>> 8) % o.spanMs;
              s.schedule(slot, atMs);
              model.schedule(slot, atMs);
              if (i % 101 === 0) checkDue(atMs >> 1);
            }
          }
          expect(s.size).toBe(model.deadline.size);
        }
        for (let slot = 0; slot < SLOTS; slot++)
          expect(s.deadlineOf(slot)).toBe(model.deadline.get(slot) ?? -1);
        expect(s.earliest()).toBe(model.earliest());
        checkDue(2 * SPAN_MS);
        expect(s.size).toBe(0);
      }),
      { numRuns: 400 },
    );
  });
});
