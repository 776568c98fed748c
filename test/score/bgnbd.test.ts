import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BgNbdParams } from '../../src/score/bgnbd.js';
import {
  bgnbdExpectedPurchases,
  bgnbdLogLikelihood,
  bgnbdPAlive,
  bgnbdProbNoPurchase,
  hyp2f1,
  lnGamma,
} from '../../src/score/bgnbd.js';
import { gammaVariate, mulberry32 } from '../../src/train/random.js';

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

/** One simulated customer: the summary at age T, and whether a purchase fell in (T, T + t]. */
interface Observed {
  x: number;
  tx: number;
  T: number;
  boughtLater: boolean;
}

/**
 * The BG/NBD generative process run past the observation age: lambda ~ Gamma(r, alpha), p ~ Beta(a, b),
 * Poisson purchases at rate lambda, dropout with probability p after each repeat purchase; the summary is
 * read at T and the purchases in (T, T + t] are only looked at, not summarised.
 */
function simulatePastT(p: BgNbdParams, n: number, ages: (i: number) => number, t: number, seed: number) {
  const next = mulberry32(seed);
  const out: Observed[] = [];
  for (let i = 0; i < n; i++) {
    const T = ages(i);
    const lambda = gammaVariate(next, p.r) / p.alpha;
    const g = gammaVariate(next, p.a);
    const dropout = g / (g + gammaVariate(next, p.b));
    const c: Observed = { x: 0, tx: 0, T, boughtLater: false };
    for (let s = -Math.log(next()) / lambda; s <= T + t; s -= Math.log(next()) / lambda) {
      if (s > T) {
        c.boughtLater = true;
        break;
      }
      c.x++;
      c.tx = s;
      if (next() < dropout) break;
    }
    out.push(c);
  }
  return out;
}

describe('bgnbdProbNoPurchase', () => {
  it('is L(x, tx, T + t) / L(x, tx, T), the derivation, and ((alpha + T) / (alpha + T + t))^r at x = 0', () => {
    for (const [t, x, tx, T] of [
      [39, 2, 30.43, 38.86],
      [1e-6, 2, 30.43, 38.86],
      [5, 0, 0, 38.86],
      [52, 40, 51, 52],
      [1000, 1, 0.5, 1],
    ] as const) {
      const ratio = Math.exp(bgnbdLogLikelihood(PAPER, x, tx, T + t) - bgnbdLogLikelihood(PAPER, x, tx, T));
      expect(bgnbdProbNoPurchase(PAPER, t, x, tx, T)).toBeCloseTo(ratio, 12);
    }
    const { r, alpha } = PAPER;
    expectRel(bgnbdProbNoPurchase(PAPER, 13, 0, 0, 20), ((alpha + 20) / (alpha + 33)) ** r, 1e-14);
  });

  it('is 1 at t = 0, falls with t, and tends to 1 - P(alive) for long horizons', () => {
    expect(bgnbdProbNoPurchase(PAPER, 0, 2, 30.43, 38.86)).toBe(1);
    expect(bgnbdProbNoPurchase(PAPER, 1e-9, 2, 30.43, 38.86)).toBeLessThan(1); // no precision lost at small t
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 1e-6, max: 500, noNaN: true }),
        (x, f, T, t, dt) => {
          const tx = x === 0 ? 0 : f * T;
          const p0 = bgnbdProbNoPurchase(PAPER, t, x, tx, T);
          expect(p0).toBeGreaterThanOrEqual(1 - bgnbdPAlive(PAPER, x, tx, T) - 1e-15);
          expect(p0).toBeLessThanOrEqual(1);
          expect(bgnbdProbNoPurchase(PAPER, t + dt, x, tx, T)).toBeLessThanOrEqual(p0);
        },
      ),
    );
    const pAlive = bgnbdPAlive(PAPER, 2, 30.43, 38.86);
    expect(bgnbdProbNoPurchase(PAPER, 1e12, 2, 30.43, 38.86)).toBeCloseTo(1 - pAlive, 2);
  });

  it('matches a simulation of the generative process: predicted vs. simulated share silent in (T, T + t]', () => {
    // For customers picked by their summary alone, the mean predicted P(zero) must equal the simulated share
    // with no purchase in (T, T + t]: given the summary, each indicator is Bernoulli(P(zero)) if the model is
    // right, so the gap has standard deviation sqrt(sum P (1 - P)) / n. Checked within 4 of those.
    // 100,000 customers: a 5% error in P(alive) or a 10% shorter horizon shows as a gap of 4-9 of them.
    const n = 100_000;
    const t = 26;
    const all = simulatePastT(PAPER, n, (i) => 13 + (i % 40), t, 5);
    const groups: [string, (c: Observed) => boolean][] = [
      ['everyone', () => true],
      ['x = 0', (c) => c.x === 0],
      ['x = 1', (c) => c.x === 1],
      ['x >= 2, recent', (c) => c.x >= 2 && c.T - c.tx < 8],
      ['x >= 2, silent', (c) => c.x >= 2 && c.T - c.tx >= 8],
    ];
    for (const [name, pick] of groups) {
      const members = all.filter(pick);
      expect(members.length, name).toBeGreaterThan(5_000);
      let predicted = 0;
      let variance = 0;
      let silent = 0;
      for (const c of members) {
        const p0 = bgnbdProbNoPurchase(PAPER, t, c.x, c.tx, c.T);
        predicted += p0;
        variance += p0 * (1 - p0);
        if (!c.boughtLater) silent++;
      }
      const gap = Math.abs(predicted - silent) / members.length;
      expect(gap, `${name}: ${silent / members.length} simulated`).toBeLessThan(
        (4 * Math.sqrt(variance)) / members.length,
      );
    }
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
    expect(bgnbdProbNoPurchase(p, 10, x, tx, T)).toBeNaN();
  });
  it('a negative or infinite horizon t is NaN', () => {
    expect(bgnbdExpectedPurchases(PAPER, -1, 2, 1, 3)).toBeNaN();
    expect(bgnbdProbNoPurchase(PAPER, -1, 2, 1, 3)).toBeNaN();
    expect(bgnbdProbNoPurchase(PAPER, Infinity, 2, 1, 3)).toBeNaN();
  });
  it('any doubles at all: a number, never a throw', () => {
    const d = fc.double();
    fc.assert(
      fc.property(d, d, d, d, d, d, d, d, (r, alpha, a, b, t, x, tx, T) => {
        const p = { r, alpha, a, b };
        expect(typeof bgnbdProbNoPurchase(p, t, x, tx, T)).toBe('number');
        expect(typeof bgnbdExpectedPurchases(p, t, x, tx, T)).toBe('number');
        expect(typeof bgnbdPAlive(p, x, tx, T)).toBe('number');
      }),
    );
  });
});
