import { describe, expect, it } from 'vitest';
import { bgnbdExpectedPurchases, bgnbdPAlive } from '../../src/score/bgnbd.js';
import { bgnbdColumns } from '../../src/score/bgnbd-columns.js';
import { ggExpectedSpend } from '../../src/score/gamma-gamma.js';
import type { ChurnModel } from '../../src/score/types.js';
import { FEATURE_COUNT, featureIndex } from '../../src/state/feature-catalog.js';

const BG = { r: 0.8, alpha: 3, a: 0.4, b: 2.5 };
const GG = { p: 2, q: 5, gamma: 120 };
const H = { horizonDays: 91, annualDiscountRate: 0 };

/** Only the manifest matters to bgnbdColumns. */
function model(manifest: Record<string, unknown>): ChurnModel {
  return { manifest } as unknown as ChurnModel;
}

/** One feature row from a purchase history: purchase days, first/last purchase (days ago), repeat spend. */
function row(days: number, firstAgo: number, lastAgo: number, repeatValue: number): Float32Array {
  const f = new Float32Array(FEATURE_COUNT);
  f[featureIndex('purchase_days_lifetime')] = days;
  f[featureIndex('purchases_lifetime')] = days * 3; // several purchases a day: BG/NBD must not count them
  f[featureIndex('days_since_first_purchase')] = firstAgo;
  f[featureIndex('purchase_span_days')] = firstAgo - lastAgo;
  f[featureIndex('days_since_last_purchase')] = Math.min(365, lastAgo);
  f[featureIndex('repeat_order_value')] = repeatValue;
  return f;
}

describe('bgnbdColumns', () => {
  it('reads x from purchase days and tx from the exact span, past the 365-day cap of the recency feature', () => {
    // Purchases 500, 480, 450 and 400 days ago: x = 3, tx = 100 days, T = 500 days.
    const f = row(4, 500, 400, 40);
    const out = bgnbdColumns(model({ bgnbd: { ...BG, timeUnitDays: 7 } }), f, 1, H);
    expect(out.pAlive![0]).toBeCloseTo(bgnbdPAlive(BG, 3, 100 / 7, 500 / 7), 6);
    expect(out.expectedPurchases![0]).toBeCloseTo(bgnbdExpectedPurchases(BG, 13, 3, 100 / 7, 500 / 7), 6);
    // What the capped feature would give (tx = T - 365 days): a different, wrong answer.
    expect(Math.abs(out.pAlive![0]! - bgnbdPAlive(BG, 3, 135 / 7, 500 / 7))).toBeGreaterThan(0.01);
    expect(out.predictedClv).toBeUndefined(); // no Gamma-Gamma parameters
  });

  it('predicts CLV as expected purchases × expected spend, less with a discount rate', () => {
    const f = row(5, 200, 10, 80);
    const m = model({ bgnbd: { ...BG, timeUnitDays: 7 }, gammaGamma: GG });
    const plain = bgnbdColumns(m, f, 1, H);
    const expected = bgnbdExpectedPurchases(BG, 13, 4, 190 / 7, 200 / 7) * ggExpectedSpend(GG, 4, 80);
    expect(plain.predictedClv![0]).toBeCloseTo(expected, 3);
    const discounted = bgnbdColumns(m, f, 1, { horizonDays: 91, annualDiscountRate: 0.2 });
    expect(discounted.predictedClv![0]).toBeLessThan(plain.predictedClv![0]!);
    expect(discounted.predictedClv![0]).toBeGreaterThan(plain.predictedClv![0]! / 1.2);
  });

  it('gives no figures for a customer who never bought (the models start at the first purchase)', () => {
    const m = model({ bgnbd: { ...BG, timeUnitDays: 7 }, gammaGamma: GG });
    const out = bgnbdColumns(m, row(0, 0, 0, 0), 1, H);
    expect([out.pAlive![0], out.expectedPurchases![0], out.predictedClv![0]]).toEqual([NaN, NaN, NaN]);
    // A one-time buyer does get them: the population's spend, fewer purchases the longer it has been.
    const once = bgnbdColumns(m, row(1, 90, 90, 0), 1, H);
    expect(once.predictedClv![0]).toBeGreaterThan(0);
    expect(once.predictedClv![0]).toBeLessThan(bgnbdColumns(m, row(4, 90, 5, 80), 1, H).predictedClv![0]!);
  });
});
