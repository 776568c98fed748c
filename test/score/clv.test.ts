import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BgNbdParams } from '../../src/score/bgnbd.js';
import { bgnbdExpectedPurchases } from '../../src/score/bgnbd.js';
import { CLV_MAX_PERIODS, predictedClv } from '../../src/score/clv.js';
import type { GammaGammaParams } from '../../src/score/gamma-gamma.js';
import { ggExpectedSpend } from '../../src/score/gamma-gamma.js';

// Published CDNOW fits (weeks; dollars), used as realistic magnitudes.
const BG: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const CUSTOMERS = [
  [2, 30.43, 38.86, 45.5],
  [0, 0, 38.86, 0],
  [12, 50, 52, 20],
  [1, 2, 30, 120],
] as const;

function expectRel(got: number, want: number, rel: number): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));
}

/**
 * The expected purchase rate s time units after T, by brute force from the model's definition rather than
 * eq. 10: a customer alive at T has lambda ~ Gamma(r + x, rate alpha + T) and p ~ Beta(a, b + x), is still
 * alive at T + s with probability e^(-lambda p s) (each purchase ends it with probability p), so buys at rate
 * lambda e^(-lambda p s); averaged over lambda (a gamma's Laplace transform, differentiated) that is
 * (r + x) / beta * (beta / (beta + p s))^(r + x + 1), beta = alpha + T; averaged over p by Simpson's rule in
 * w = p^a (which removes the p^(a - 1) pole), and weighted by P(alive).
 */
function rateFn(p: BgNbdParams, x: number, tx: number, T: number): (s: number) => number {
  const { r, alpha, a, b } = p;
  const beta = alpha + T;
  const pAlive = x === 0 ? 1 : 1 / (1 + (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x));
  const m = 2_000;
  const nodes = new Float64Array(m + 1);
  const weights = new Float64Array(m + 1);
  let norm = 0;
  for (let k = 0; k <= m; k++) {
    nodes[k] = (k / m) ** (1 / a);
    weights[k] = (k === 0 || k === m ? 1 : k % 2 === 1 ? 4 : 2) * (1 - nodes[k]!) ** (b + x - 1);
    norm += weights[k]!;
  }
  return (s) => {
    let sum = 0;
    for (let k = 0; k <= m; k++) sum += weights[k]! * (beta / (beta + nodes[k]! * s)) ** (r + x + 1);
    return (pAlive * ((r + x) / beta) * sum) / norm;
  };
}

/** Integral of f over [lo, hi] by Simpson's rule with 32 intervals. */
function simpson(f: (s: number) => number, lo: number, hi: number): number {
  const n = 32;
  const h = (hi - lo) / n;
  let sum = f(lo) + f(hi);
  for (let k = 1; k < n; k++) sum += (k % 2 === 1 ? 4 : 2) * f(lo + k * h);
  return (sum * h) / 3;
}

/** Discounted expected purchases: the rate integrated period by period, each divided by (1 + rate)^i. */
function discountedPurchases(rate: (s: number) => number, horizon: number, d: number, len: number): number {
  let total = 0;
  for (let i = 1; (i - 1) * len < horizon; i++) {
    total += simpson(rate, (i - 1) * len, Math.min(i * len, horizon)) / (1 + d) ** i;
  }
  return total;
}

describe('predictedClv', () => {
  it('without discount: expected purchases (also integrated by brute force) times expected spend', () => {
    for (const [x, tx, T, mx] of CUSTOMERS) {
      const clv = predictedClv(BG, GG, 52, x, tx, T, mx);
      expectRel(clv, bgnbdExpectedPurchases(BG, 52, x, tx, T) * ggExpectedSpend(GG, x, mx), 1e-15);
      expectRel(clv, discountedPurchases(rateFn(BG, x, tx, T), 52, 0, 52) * ggExpectedSpend(GG, x, mx), 1e-6);
    }
  });

  it('discounted: matches the brute-force integral of the purchase rate, period by period (last one partial)', () => {
    for (const [x, tx, T, mx] of CUSTOMERS) {
      const rate = rateFn(BG, x, tx, T);
      const spend = ggExpectedSpend(GG, x, mx);
      // Months of 4.345 weeks over a year: 11.97 months, so 12 periods, the last one 0.86 weeks short.
      for (const [horizon, ratePerPeriod, periodLength] of [
        [52, 0.01, 4.345],
        [39, 0.1, 13],
        [104, 0.5, 10],
      ] as const) {
        const clv = predictedClv(BG, GG, horizon, x, tx, T, mx, { ratePerPeriod, periodLength });
        expectRel(clv, discountedPurchases(rate, horizon, ratePerPeriod, periodLength) * spend, 1e-6);
      }
    }
  });

  it('limits: 0 at horizon 0, undiscounted at rate 0, and one period longer than the horizon discounts once', () => {
    const [x, tx, T, mx] = CUSTOMERS[0];
    const plain = predictedClv(BG, GG, 26, x, tx, T, mx);
    expect(predictedClv(BG, GG, 0, x, tx, T, mx)).toBe(0);
    expect(predictedClv(BG, GG, 0, x, tx, T, mx, { ratePerPeriod: 0.1, periodLength: 4 })).toBe(0);
    expectRel(predictedClv(BG, GG, 26, x, tx, T, mx, { ratePerPeriod: 0, periodLength: 1 }), plain, 1e-12);
    const once = predictedClv(BG, GG, 26, x, tx, T, mx, { ratePerPeriod: 0.1, periodLength: 100 });
    expectRel(once, plain / 1.1, 1e-14);
  });

  it('falls as the discount rate rises and grows with the horizon', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CUSTOMERS),
        fc.double({ min: 0.1, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        ([x, tx, T, mx], horizon, d, len) => {
          const at = (h: number, rate: number) =>
            predictedClv(BG, GG, h, x, tx, T, mx, { ratePerPeriod: rate, periodLength: len });
          expect(at(horizon, d + 0.01)).toBeLessThan(at(horizon, d));
          // Non-decreasing: far periods' discount weights can fall below the rounding of the total.
          expect(at(horizon + 1, d)).toBeGreaterThanOrEqual(at(horizon, d));
        },
      ),
    );
  });

  it('is NaN for bad input, never a throw', () => {
    const [x, tx, T, mx] = CUSTOMERS[0];
    const disc = { ratePerPeriod: 0.01, periodLength: 4 };
    expect(predictedClv(BG, GG, -1, x, tx, T, mx)).toBeNaN();
    expect(predictedClv(BG, GG, Infinity, x, tx, T, mx)).toBeNaN();
    expect(predictedClv(BG, GG, Number.NaN, x, tx, T, mx, disc)).toBeNaN();
    expect(predictedClv(BG, { ...GG, q: 1 }, 52, x, tx, T, mx)).toBeNaN(); // no expected spend
    expect(predictedClv(BG, GG, 52, x, tx, T, 0)).toBeNaN(); // x >= 1 needs a positive mean value
    expect(predictedClv({ ...BG, r: -1 }, GG, 52, x, tx, T, mx, disc)).toBeNaN();
    expect(predictedClv(BG, GG, 0, x, 50, T, mx)).toBeNaN(); // tx > T, even with nothing to sum
    expect(predictedClv(BG, GG, 0, x, 50, T, mx, disc)).toBeNaN();
    expect(predictedClv(BG, GG, 52, x, tx, T, mx, { ratePerPeriod: -1, periodLength: 4 })).toBeNaN();
    expect(predictedClv(BG, GG, 52, x, tx, T, mx, { ratePerPeriod: 0.01, periodLength: 0 })).toBeNaN();
    expect(predictedClv(BG, GG, 52, x, tx, T, mx, { ratePerPeriod: Infinity, periodLength: 4 })).toBeNaN();
    const tooMany = { ratePerPeriod: 0.01, periodLength: 52 / (CLV_MAX_PERIODS + 1) };
    expect(predictedClv(BG, GG, 52, x, tx, T, mx, tooMany)).toBeNaN();
    const d = fc.double();
    fc.assert(
      fc.property(
        fc.tuple(d, d, d, d, d, d, d),
        fc.tuple(d, d, d, d, d),
        fc.option(fc.record({ ratePerPeriod: d, periodLength: fc.double({ min: 1e-3 }) })),
        ([r, alpha, a, b, p, q, gamma], [horizon, xx, txx, TT, mxx], disc) => {
          const v = predictedClv(
            { r, alpha, a, b },
            { p, q, gamma },
            horizon,
            xx,
            txx,
            TT,
            mxx,
            disc ?? undefined,
          );
          expect(typeof v).toBe('number');
        },
      ),
    );
  });
});
