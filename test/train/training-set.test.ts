import { describe, it, expect } from 'vitest';
import type { CustomerEvent } from '../../src/contract/event.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import { createCustomerStore } from '../../src/state/customer-store.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';
import {
  SPLIT_TEST,
  SPLIT_TRAIN,
  SPLIT_VALIDATION,
  TrainingSetBuilder,
  replayTrainingSet,
  simulatorTrainingSource,
  type TrainingSetOptions,
} from '../../src/train/index.js';

const START = Date.UTC(2025, 0, 1);
const DAYS = 60;
const CUTOFFS = [20, 30];
const sim = createSimulator({ customers: 400, seed: 21, startMs: START });
const history = sim.eventsBetween(START, START + DAYS * DAY_MS);
const build = (opts: TrainingSetOptions) => replayTrainingSet(simulatorTrainingSource(sim, DAYS), opts);
const set = await build({ cutoffDays: CUTOFFS, seed: 21 });
const idOf = (r: number): string => set.customerIds[set.customer[r]!]!;

// Independent of the code under test: a brand's send and a cancel are not the customer's engagement.
const own = (e: CustomerEvent): boolean => e.type !== 'message_sent' && e.type !== 'cancel';

describe('buildTrainingSet', () => {
  it('takes one row per customer active in the 30 days before each cut-off', () => {
    for (const day of CUTOFFS) {
      const cut = START + day * DAY_MS;
      const active = new Set(
        history.filter((e) => own(e) && e.ts < cut && e.ts >= cut - 30 * DAY_MS).map((e) => e.customerId),
      );
      const rows = [...set.customer]
        .filter((_, r) => set.cutoffMs[r] === cut)
        .map((i) => set.customerIds[i]!);
      expect(rows.length).toBe(new Set(rows).size);
      expect(new Set(rows)).toEqual(active);
    }
  });

  it('labels no_activity from the simulated future: no own event within 30 days after the cut-off', () => {
    let positives = 0;
    for (let r = 0; r < set.rows; r++) {
      const id = idOf(r);
      const cut = set.cutoffMs[r]!;
      const future = history.some(
        (e) => e.customerId === id && own(e) && e.ts >= cut && e.ts < cut + 30 * DAY_MS,
      );
      expect(set.y[r], `${id} at ${new Date(cut).toISOString()}`).toBe(future ? 0 : 1);
      positives += set.y[r]!;
    }
    expect(positives).toBeGreaterThan(5);
    expect(positives).toBeLessThan(set.rows / 2);
  });

  it('takes features from the real CustomerStore as of the cut-off', () => {
    // A fresh store fed only the events before the cut-off must give the very same vectors.
    const cut = START + CUTOFFS[0]! * DAY_MS;
    const store = createCustomerStore();
    store.apply(
      history
        .filter((e) => e.ts < cut)
        .map((event) => ({
          event,
          subject: '',
          data: new Uint8Array(0),
          streamSeq: 0,
          publishedAtMs: event.ts,
        })),
    );
    const out = new Float32Array(FEATURE_COUNT);
    let checked = 0;
    for (let r = 0; r < set.rows && checked < 50; r++) {
      if (set.cutoffMs[r] !== cut) continue;
      store.features(store.slotOf(idOf(r))!, cut, out, 0);
      expect([...set.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)]).toEqual([...out]);
      checked++;
    }
    expect(checked).toBe(50);
  });

  it('splits by customer: no customer in two splits, every split used', () => {
    const splitOf = new Map<number, number>();
    for (let r = 0; r < set.rows; r++) {
      const c = set.customer[r]!;
      const s = set.split[r]!;
      expect(splitOf.get(c) ?? s).toBe(s);
      splitOf.set(c, s);
    }
    const counts = [SPLIT_TRAIN, SPLIT_VALIDATION, SPLIT_TEST].map(
      (s) => [...splitOf.values()].filter((x) => x === s).length,
    );
    expect(counts.every((n) => n > 10)).toBe(true);
    expect(counts[0]).toBeGreaterThan(counts[2]!);
  });

  it('labels cancel from explicit cancels, at the times the ground truth records them', async () => {
    const cancels = await build({ cutoffDays: CUTOFFS, definition: { kind: 'cancel', days: 30 } });
    let positives = 0;
    for (let r = 0; r < cancels.rows; r++) {
      const t = sim.groundTruth(cancels.customerIds[cancels.customer[r]!]!)!;
      const cut = cancels.cutoffMs[r]!;
      const expected = t.cancelsAtMs.some((ms) => ms >= cut && ms < cut + 30 * DAY_MS);
      expect(cancels.y[r]).toBe(expected ? 1 : 0);
      positives += cancels.y[r]!;
    }
    expect(positives).toBeGreaterThan(0);
  });

  it('refuses a cut-off without a full look-ahead window', async () => {
    await expect(build({ cutoffDays: [45] })).rejects.toThrow(RangeError);
  });

  it('places cut-offs every N days after the warm-up, each with a full look-ahead window', async () => {
    const every = await build({ cutoffEveryDays: 7, warmupDays: 10 });
    // Days 10, 17, 24: day 31 would need 30 days of future beyond the 60 replayed.
    expect(every.window.cutoffsMs).toEqual([10, 17, 24].map((d) => START + d * DAY_MS));
    expect(new Set(every.cutoffMs)).toEqual(new Set(every.window.cutoffsMs));
    expect(every.window).toMatchObject({ fromMs: START, toMs: START + DAYS * DAY_MS });
  });
});

describe('TrainingSetBuilder refusals', () => {
  it('counts what the store refuses by reason: history out of event-time order is not dropped silently', () => {
    const day = (d: number): number => START + d * DAY_MS;
    const ev = (id: string, ts: number, seq: number) => ({
      event: { customerId: id, type: 'page_view', ts },
      subject: '',
      data: new Uint8Array(0),
      streamSeq: seq,
      publishedAtMs: ts,
    });
    const builder = new TrainingSetBuilder({ cutoffDays: [500] }, { startMs: START, endMs: day(600) });
    // Customer "a" over 450 days, then customer "b" from the start: b's first events are beyond the horizon.
    builder.push([
      ev('a', day(0), 1),
      ev('a', day(450), 2),
      ev('b', day(1), 3),
      ev('b', day(10), 4),
      ev('b', day(100), 5),
    ]);
    const set = builder.finish();
    expect(set.refused).toBe(2);
    expect(set.refusedByReason).toEqual({ too_old: 2 });
  });
});
