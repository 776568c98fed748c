import { describe, expect, it } from 'vitest';
import type { BgNbdParams } from '../../src/score/bgnbd.js';
import {
  bgnbdExpectedPurchases,
  bgnbdLogLikelihood,
  bgnbdPAlive,
  hyp2f1,
  lnGamma,
} from '../../src/score/bgnbd.js';

// Fader, Hardie & Lee (2005): the CDNOW fit, in weeks.
const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** Relative closeness, for values whose size varies by orders of magnitude. */
function expectRel(got: number, want: number, rel = 1e-12): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));
}

/** Eq. 10 exactly as printed, with the general 2F1 (an independent path from the Euler form used inside). */
function eq10(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const g =
    ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const num = ((a + b + x - 1) / (a - 1)) * (1 - g);
  return num / (1 + (x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0));
}

describe('lnGamma', () => {
  it('matches factorials, sqrt(pi) and the recurrence ln Gamma(x + 1) = ln Gamma(x) + ln x', () => {
    let fact = 1;
    for (let n = 1; n <= 20; n++) {
      expect(lnGamma(n)).toBeCloseTo(Math.log(fact), 12);
      fact *= n;
    }
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    for (const x of [0.013, 0.243, 0.793, 2.426, 37.5, 150.5, 1e4]) {
      expectRel(lnGamma(x + 1) - lnGamma(x), Math.log(x), 1e-11);
    }
    expect(lnGamma(0)).toBe(Infinity);
  });
});

describe('hyp2f1', () => {
  it('matches closed forms on both sides of 0, near 1, and with a + b > c (Euler path)', () => {
    for (const z of [-20, -3, -0.5, -1e-3, 0, 0.3, 0.5, 0.9, 0.99, 0.999]) {
      expectRel(hyp2f1(1, 1, 2, z), z === 0 ? 1 : -Math.log1p(-z) / z, 1e-12);
      expectRel(hyp2f1(2.7, 0.4, 0.4, z), (1 - z) ** -2.7, 1e-12); // 2F1(a, b; b; z) = (1 - z)^-a
      expectRel(hyp2f1(0.3, 5.5, 5.5, z), (1 - z) ** -0.3, 1e-12);
    }
    for (const s of [0.1, 0.5, 0.9, 0.999]) expectRel(hyp2f1(0.5, 0.5, 1.5, s * s), Math.asin(s) / s, 1e-12);
    for (const s of [0.5, 2, 10]) expectRel(hyp2f1(0.5, 1, 1.5, -s * s), Math.atan(s) / s, 1e-12);
  });

  it('ends a terminating series exactly (a non-positive integer parameter gives a polynomial)', () => {
    const [b, c] = [3.3, 1.7];
    for (const z of [-4, 0.5, 0.95]) {
      expectRel(hyp2f1(-2, b, c, z), 1 - (2 * b * z) / c + (b * (b + 1) * z * z) / (c * (c + 1)), 1e-12);
    }
  });

  it('is NaN outside its domain (z >= 1, c a non-positive integer, non-finite parameters)', () => {
    expect(hyp2f1(1, 1, 2, 1)).toBeNaN();
    expect(hyp2f1(1, 1, -2, 0.5)).toBeNaN();
    expect(hyp2f1(Number.NaN, 1, 2, 0.5)).toBeNaN();
  });
});

describe('bgnbdExpectedPurchases', () => {
  it("reproduces the paper's worked example: x = 2, tx = 30.43, T = 38.86 -> 1.226 purchases in 39 weeks", () => {
    expect(bgnbdExpectedPurchases(PAPER, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
  });

  it('equals eq. 10 as printed, also for many purchases and horizons far beyond the age', () => {
    const other: BgNbdParams = { r: 1.7, alpha: 12, a: 2.5, b: 0.6 };
    for (const p of [PAPER, other]) {
      for (const [t, x, tx, T] of [
        [39, 2, 30.43, 38.86],
        [39, 0, 0, 38.86],
        [1, 7, 20, 52],
        [300, 0, 0, 0.5],
        [52, 300, 51, 52],
      ] as const) {
        expectRel(bgnbdExpectedPurchases(p, t, x, tx, T), eq10(p, t, x, tx, T), 1e-9);
      }
    }
  });

  it('is smooth through a = 1, where eq. 10 is 0/0', () => {
    const at = (a: number) => bgnbdExpectedPurchases({ ...PAPER, a }, 39, 2, 30.43, 38.86);
    const mid = at(1);
    expect(Number.isFinite(mid)).toBe(true);
    expect(Math.abs(at(1 - 1e-7) - mid)).toBeLessThan(1e-6);
    expect(Math.abs(at(1 + 1e-7) - mid)).toBeLessThan(1e-6);
    expect((at(0.999) + at(1.001)) / 2).toBeCloseTo(mid, 5); // a smooth curve: O(h^2) off its midpoint
  });

  it('is 0 at t = 0, grows with t, and shrinks as a customer stays silent longer', () => {
    expect(bgnbdExpectedPurchases(PAPER, 0, 2, 30.43, 38.86)).toBe(0);
    let prev = 0;
    for (const t of [1, 5, 20, 52, 200, 1000]) {
      const e = bgnbdExpectedPurchases(PAPER, t, 2, 30.43, 38.86);
      expect(e).toBeGreaterThan(prev);
      prev = e;
    }
    const silent = [40, 60, 100].map((T) => bgnbdExpectedPurchases(PAPER, 39, 2, 30.43, T));
    expect(silent[0]!).toBeGreaterThan(silent[1]!);
    expect(silent[1]!).toBeGreaterThan(silent[2]!);
  });
});

describe('bgnbdPAlive', () => {
  it('is 1 without repeat purchases, whatever the age', () => {
    for (const T of [0, 1, 38.86, 1000]) expect(bgnbdPAlive(PAPER, 0, 0, T)).toBe(1);
  });

  it('rises with the recency tx, falls with the age T, and stays in (0, 1]', () => {
    let prev = 0;
    for (let tx = 0; tx <= 38.86; tx += 38.86 / 20) {
      const pa = bgnbdPAlive(PAPER, 3, tx, 38.86);
      expect(pa).toBeGreaterThan(prev);
      expect(pa).toBeLessThanOrEqual(1);
      prev = pa;
    }
    expect(bgnbdPAlive(PAPER, 3, 10, 80)).toBeLessThan(bgnbdPAlive(PAPER, 3, 10, 40));
    // A purchase just now still leaves the chance of having dropped out right after it: a / (b + x - 1).
    expect(bgnbdPAlive(PAPER, 3, 38.86, 38.86)).toBeCloseTo(1 / (1 + PAPER.a / (PAPER.b + 2)), 14);
    expect(bgnbdPAlive(PAPER, 500, 1, 1000)).toBe(0); // underflows to 0 rather than NaN
  });
});

describe('bgnbdLogLikelihood', () => {
  it('matches the closed forms for x = 0 ((alpha / (alpha + T))^r) and x = 1', () => {
    const { r, alpha, a, b } = PAPER;
    for (const T of [0, 3, 38.86, 500]) {
      expect(bgnbdLogLikelihood(PAPER, 0, 0, T)).toBeCloseTo(r * Math.log(alpha / (alpha + T)), 12);
    }
    const tx = 12.5;
    const T = 38.86;
    const l1 =
      ((b / (a + b)) * r * alpha ** r) / (alpha + T) ** (r + 1) +
      ((a / (a + b)) * r * alpha ** r) / (alpha + tx) ** (r + 1);
    expect(bgnbdLogLikelihood(PAPER, 1, tx, T)).toBeCloseTo(Math.log(l1), 12);
  });

  it('stays finite where the likelihood itself underflows (hundreds of purchases)', () => {
    const ll = bgnbdLogLikelihood(PAPER, 800, 900, 1000);
    expect(Number.isFinite(ll)).toBe(true);
    expect(Math.exp(ll)).toBe(0);
  });
});

describe('bad input is NaN, never a throw', () => {
  const bad: [BgNbdParams, number, number, number][] = [
    [{ ...PAPER, r: 0 }, 2, 1, 3],
    [{ ...PAPER, alpha: -1 }, 2, 1, 3],
    [{ ...PAPER, b: Number.NaN }, 2, 1, 3],
    [PAPER, -1, 1, 3],
    [PAPER, 0.5, 1, 3],
    [PAPER, 2, 4, 3],
    [PAPER, 2, -1, 3],
    [PAPER, 2, 1, Infinity],
  ];
  it.each(bad)('%o x=%d tx=%d T=%d', (p, x, tx, T) => {
    expect(bgnbdPAlive(p, x, tx, T)).toBeNaN();
    expect(bgnbdExpectedPurchases(p, 10, x, tx, T)).toBeNaN();
    expect(bgnbdLogLikelihood(p, x, tx, T)).toBeNaN();
  });
  it('a negative horizon t is NaN', () => {
    expect(bgnbdExpectedPurchases(PAPER, -1, 2, 1, 3)).toBeNaN();
  });
});
