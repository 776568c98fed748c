import { describe, it, expect } from 'vitest';
import { bgnbdPAlive } from '../../src/score/bgnbd.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';
import {
  SPLIT_TRAIN,
  bgnbdChurnScores,
  fitBgNbdBaseline,
  replayTrainingSet,
  rfmColumns,
  simulatorTrainingSource,
} from '../../src/train/index.js';

const START = Date.UTC(2025, 0, 1);
const sim = createSimulator({ customers: 300, seed: 12, startMs: START });
// Each customer's purchase times, in order: the history the features must agree with.
const purchases = new Map<string, number[]>();
for (const e of sim.eventsBetween(START, START + 90 * DAY_MS)) {
  if (e.type === 'purchase') purchases.set(e.customerId, [...(purchases.get(e.customerId) ?? []), e.ts]);
}
const set = await replayTrainingSet(simulatorTrainingSource(sim, 90), { cutoffDays: [40, 60], seed: 12 });
const all = Int32Array.from({ length: set.rows }, (_, r) => r);

describe('rfmColumns', () => {
  it("reads BG/NBD's x, tx and T (weeks) from the engine features as the purchase history says", () => {
    const rfm = rfmColumns(set.x, all);
    let buyers = 0;
    for (let r = 0; r < set.rows; r++) {
      const id = set.customerIds[set.customer[r]!]!;
      const cut = set.cutoffMs[r]!;
      const buys = (purchases.get(id) ?? []).filter((ts) => ts < cut);
      if (buys.length === 0) {
        expect([rfm.x[r], rfm.tx[r], rfm.T[r]]).toEqual([0, 0, 0]);
        continue;
      }
      buyers++;
      const weeks = (ms: number): number => ms / (7 * DAY_MS);
      expect(rfm.x[r]).toBe(buys.length - 1);
      expect(rfm.T[r]).toBeCloseTo(weeks(cut - buys[0]!), 3);
      expect(rfm.tx[r]).toBeCloseTo(weeks(buys.at(-1)! - buys[0]!), 3);
    }
    expect(buyers).toBeGreaterThan(50);
  });
});

describe('the BG/NBD baseline', () => {
  it('fits positive parameters on the training rows and scores 1 - P(alive) in [0, 1]', () => {
    const train = all.filter((r) => set.split[r] === SPLIT_TRAIN);
    const fit = fitBgNbdBaseline(set.x, train);
    for (const v of Object.values(fit.params)) expect(v).toBeGreaterThan(0);
    expect(fit.logLikelihood).toBeLessThan(0);
    const scores = bgnbdChurnScores(fit.params, set.x, all);
    const rfm = rfmColumns(set.x, all);
    for (let r = 0; r < set.rows; r++) {
      expect(scores[r]).toBeGreaterThanOrEqual(0);
      expect(scores[r]).toBeLessThanOrEqual(1);
      expect(scores[r]).toBeCloseTo(1 - bgnbdPAlive(fit.params, rfm.x[r]!, rfm.tx[r]!, rfm.T[r]!), 12);
    }
    expect(set.x.length).toBe(set.rows * FEATURE_COUNT);
  });
});
