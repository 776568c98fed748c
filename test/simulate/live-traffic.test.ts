import { describe, it, expect } from 'vitest';
import { VirtualTimeScheduler, take, toArray } from 'rxjs';
import type { CustomerEvent } from '../../src/contract/event.js';
import { DAY_MS, createSimulator, liveTraffic } from '../../src/simulate/index.js';

const START = Date.UTC(2025, 0, 1);

function run(source: ReturnType<typeof liveTraffic>, scheduler: VirtualTimeScheduler): CustomerEvent[][] {
  let out: CustomerEvent[][] = [];
  source.pipe(toArray()).subscribe((batches) => (out = batches));
  scheduler.flush();
  return out;
}

describe('liveTraffic', () => {
  const sim = createSimulator({ customers: 300, seed: 3, startMs: START });

  it('paces batches at the rate on virtual time, stamped with the scheduler clock', () => {
    const scheduler = new VirtualTimeScheduler();
    const batches = run(
      liveTraffic(sim, { ratePerSec: 2000, tickMs: 100, scheduler }).pipe(take(10)),
      scheduler,
    );
    expect(batches.map((b) => b.length)).toEqual(Array<number>(10).fill(200));
    batches.forEach((b, i) => expect(new Set(b.map((e) => e.ts))).toEqual(new Set([(i + 1) * 100])));
  });

  it('replays the simulated history in order, ids intact', () => {
    const scheduler = new VirtualTimeScheduler();
    const batches = run(
      liveTraffic(sim, { ratePerSec: 500, tickMs: 100, scheduler }).pipe(take(8)),
      scheduler,
    );
    const sent = batches.flat();
    const history = sim.eventsBetween(START, START + 2 * DAY_MS).slice(0, sent.length);
    expect(sent.map((e) => e.id)).toEqual(history.map((e) => e.id));
    expect(sent.map((e) => e.type)).toEqual(history.map((e) => e.type));
  });

  it('keeps the average rate with a fractional per-tick share', () => {
    const scheduler = new VirtualTimeScheduler();
    const batches = run(
      liveTraffic(sim, { ratePerSec: 7, tickMs: 100, scheduler }).pipe(take(14)),
      scheduler,
    );
    // 7 events/s over ticks of 0.1 s: empty ticks are skipped, and 14 batches of one event take 2 s.
    expect(batches.every((b) => b.length === 1)).toBe(true);
    expect(batches.at(-1)![0]!.ts).toBe(2000);
  });

  it('caps a catch-up batch after a stall and forgives the rest', () => {
    const scheduler = new VirtualTimeScheduler();
    let stall = 0;
    const clock = (): number => scheduler.now() + stall;
    const source = liveTraffic(sim, { ratePerSec: 1000, tickMs: 100, scheduler, clock, maxBatch: 300 });
    let sizes: number[] = [];
    source.pipe(take(4), toArray()).subscribe((b) => (sizes = b.map((x) => x.length)));
    scheduler.schedule(() => (stall = 5000), 150);
    scheduler.flush();
    expect(sizes).toEqual([100, 300, 100, 100]);
  });

  it('completes when the history has no more events', () => {
    const scheduler = new VirtualTimeScheduler();
    const empty = createSimulator({ customers: 0, startMs: START });
    let completed = false;
    let batches = 0;
    liveTraffic(empty, { ratePerSec: 100, scheduler }).subscribe({
      next: () => batches++,
      complete: () => (completed = true),
    });
    scheduler.flush();
    expect(completed).toBe(true);
    expect(batches).toBe(0);
  });
});
