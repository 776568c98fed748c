import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/simulate/prng.js';
import { bootstrapDifferences, compareOnRows, rocAuc } from '../../src/train/index.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/state/feature-catalog.js';

/** `customers` customers with one label each and two predictors: a sharp one and a blunt one. */
function data(customers: number, seed: number) {
  const rng = new Prng(seed);
  const y = Uint8Array.from({ length: customers }, () => (rng.chance(0.3) ? 1 : 0));
  const sharp = Float64Array.from(y, (v) => Math.min(1, Math.max(0, v * 0.6 + rng.float() * 0.5)));
  const blunt = Float64Array.from(y, (v) => Math.min(1, Math.max(0, v * 0.2 + rng.float() * 0.7)));
  return { y, sharp, blunt, customer: Int32Array.from(y, (_, i) => i) };
}

/** Each customer's row repeated `k` times: no new information, only correlated copies. */
function repeated<T extends ArrayLike<number>>(a: T, k: number): number[] {
  return Array.from({ length: a.length * k }, (_, i) => a[Math.floor(i / k)]!);
}

describe('bootstrapDifferences', () => {
  it('is exactly 0 with a zero-width interval when model and baseline are the same predictor', () => {
    const d = data(300, 1);
    const diff = bootstrapDifferences(d.sharp, d.sharp, d.y, d.customer, { replicates: 200 });
    for (const m of [diff.rocAuc, diff.prAuc, diff.brier])
      expect([m.estimate, m.low, m.high]).toEqual([0, 0, 0]);
  });

  it('gives an interval holding the estimate that excludes 0 for a clearly better model', () => {
    const d = data(800, 2);
    const diff = bootstrapDifferences(d.sharp, d.blunt, d.y, d.customer, { replicates: 300 });
    expect(diff.rocAuc.estimate).toBeCloseTo(rocAuc(d.sharp, d.y) - rocAuc(d.blunt, d.y), 12);
    expect(diff.rocAuc.low).toBeGreaterThan(0);
    expect(diff.rocAuc.low).toBeLessThanOrEqual(diff.rocAuc.estimate);
    expect(diff.rocAuc.high).toBeGreaterThanOrEqual(diff.rocAuc.estimate);
    expect(diff.brier.high).toBeLessThan(0);
  });

  it('resamples customers: copies of a customer’s row do not narrow the interval', () => {
    const d = data(400, 3);
    const once = bootstrapDifferences(d.sharp, d.blunt, d.y, d.customer, { replicates: 400, seed: 1 });
    const k = 6;
    const copies = bootstrapDifferences(
      repeated(d.sharp, k),
      repeated(d.blunt, k),
      repeated(d.y, k),
      repeated(d.customer, k),
      { replicates: 400, seed: 1 },
    );
    const width = (i: { low: number; high: number }): number => i.high - i.low;
    // Row resampling would shrink the width by about sqrt(6) = 2.4; by customer it stays about the same.
    expect(width(copies.rocAuc) / width(once.rocAuc)).toBeGreaterThan(0.75);
    expect(width(copies.rocAuc) / width(once.rocAuc)).toBeLessThan(1.33);
  });
});

describe('compareOnRows', () => {
  it('reports the strongest single feature as max(AUC, 1 - AUC), whichever direction it ranks', () => {
    const d = data(300, 4);
    const features = new Float32Array(300 * FEATURE_COUNT);
    const inverse = FEATURE_NAMES.indexOf('events_7d');
    const weak = FEATURE_NAMES.indexOf('views_30d');
    d.y.forEach((v, r) => {
      features[r * FEATURE_COUNT + inverse] = (1 - v) * 10 + (r % 3); // fewer events: churns
      features[r * FEATURE_COUNT + weak] = r % 7;
    });
    const rows = { labels: d.y, customer: d.customer, features, positions: d.customer };
    const c = compareOnRows(d.sharp, [{ name: 'blunt', description: 'a blunt one', scores: d.blunt }], rows, {
      replicates: 50,
    });
    expect(c.bestFeature).toEqual({ name: 'events_7d', rocAuc: 1 });
    expect([c.rows, c.customers]).toEqual([300, 300]);
    expect(c.baselines[0]!.difference.rocAuc.estimate).toBeCloseTo(
      c.model.rocAuc - c.baselines[0]!.rocAuc,
      5,
    );
  });
});
