import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GammaGammaParams } from '../../src/score/gamma-gamma.js';
import { ggExpectedSpend, ggLogLikelihood } from '../../src/score/gamma-gamma.js';

// The CDNOW estimates of Fader & Hardie (2013), used here only as realistic magnitudes.
const CDNOW: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const SKEWED: GammaGammaParams = { p: 0.6, q: 1.3, gamma: 2 };

function expectRel(got: number, want: number, rel: number): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));
}

/**
 * Integral of exp(logF(u)) du over the real line by the trapezoid rule on [lo, hi] (which must hold the mass):
 * on a smooth integrand decaying at both ends the trapezoid rule converges faster than any power of the step.
 */
function integrateExp(logF: (u: number) => number, lo: number, hi: number, steps = 20_000): number {
  const h = (hi - lo) / steps;
  let sum = 0;
  for (let k = 0; k <= steps; k++) sum += (k === 0 || k === steps ? 0.5 : 1) * Math.exp(logF(lo + k * h));
  return sum * h;
}

/**
 * E(M | x, m_x) straight from the model's definition, by numerical integration over nu = e^u: the posterior
 * of nu is proportional to prior(nu) * prod_j Gamma(z_j; p, rate nu) = nu^(q - 1) e^(-gamma nu) *
 * nu^(p x) e^(-nu x m_x) (times factors free of nu), and E(M | nu) = p / nu. No closed form of the paper used.
 */
function spendByIntegration(g: GammaGammaParams, x: number, mx: number): number {
  const s = g.p * x + g.q; // with the Jacobian e^u: log kernel s u - e^u (gamma + x m_x)
  const rate = g.gamma + x * mx;
  const mode = Math.log(s / rate);
  const logKernel = (u: number) => s * u - Math.exp(u) * rate - (s * mode - s); // shifted: 0 at the mode
  const lo = mode - 60 / s - 10;
  const hi = mode + 6;
  const norm = integrateExp(logKernel, lo, hi);
  return integrateExp((u) => logKernel(u) + Math.log(g.p) - u, lo, hi) / norm;
}

/**
 * ln f(m_x | x) by numerical integration over nu: the sum of x Gamma(p, nu) values is Gamma(p x, nu), so
 * f(m | nu) = x Gamma(x m; p x, nu); integrated against the Gamma(q, gamma) prior of nu.
 */
function logDensityByIntegration(g: GammaGammaParams, x: number, mx: number): number {
  const { p, q, gamma } = g;
  const lnGammaDensity = (v: number, shape: number, rate: number, lnG: number) =>
    shape * Math.log(rate) + (shape - 1) * Math.log(v) - rate * v - lnG;
  const lnGp = lnGammaFn(p * x);
  const lnGq = lnGammaFn(q);
  const f = (u: number) => {
    const nu = Math.exp(u);
    return Math.log(x) + lnGammaDensity(x * mx, p * x, nu, lnGp) + lnGammaDensity(nu, q, gamma, lnGq) + u;
  };
  const mode = Math.log((p * x + q) / (gamma + x * mx));
  const shift = f(mode);
  return shift + Math.log(integrateExp((u) => f(u) - shift, mode - 60 / (p * x + q) - 10, mode + 6));
}

/** ln Gamma by Stirling's series after shifting the argument above 20 (independent of the Lanczos code). */
function lnGammaFn(z: number): number {
  let shift = 0;
  while (z < 20) shift -= Math.log(z++);
  const series = 1 / (12 * z) - 1 / (360 * z ** 3) + 1 / (1260 * z ** 5) - 1 / (1680 * z ** 7);
  return shift + (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + series;
}

describe('ggExpectedSpend', () => {
  it('equals the posterior mean of p / nu integrated numerically', () => {
    for (const g of [CDNOW, SKEWED, { p: 2, q: 20, gamma: 300 }]) {
      for (const [x, mx] of [
        [1, 10],
        [2, 35.5],
        [7, 0.3],
        [40, 120],
        [1, 1e4],
      ] as const) {
        expectRel(ggExpectedSpend(g, x, mx), spendByIntegration(g, x, mx), 1e-9);
      }
    }
  });

  it('is the population mean p gamma / (q - 1) at x = 0, whatever mx', () => {
    for (const mx of [0, 12, Number.NaN]) {
      expectRel(ggExpectedSpend(CDNOW, 0, mx), (CDNOW.p * CDNOW.gamma) / (CDNOW.q - 1), 1e-15);
    }
  });

  it('lies between the population mean and the customer mean, nearer the customer the more transactions', () => {
    const pop = ggExpectedSpend(CDNOW, 0, 0);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.double({ min: 1e-3, max: 1e5, noNaN: true }),
        (x, mx) => {
          const e = ggExpectedSpend(CDNOW, x, mx);
          expect(e).toBeGreaterThanOrEqual(Math.min(pop, mx) * (1 - 1e-12));
          expect(e).toBeLessThanOrEqual(Math.max(pop, mx) * (1 + 1e-12));
          expect(Math.abs(ggExpectedSpend(CDNOW, x + 1, mx) - mx)).toBeLessThanOrEqual(Math.abs(e - mx));
        },
      ),
    );
  });

  it('rises with m_x', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 1e-3, max: 1e5, noNaN: true }),
        fc.double({ min: 1.001, max: 10, noNaN: true }),
        (x, mx, f) => {
          expect(ggExpectedSpend(SKEWED, x, mx * f)).toBeGreaterThan(ggExpectedSpend(SKEWED, x, mx));
        },
      ),
    );
  });

  it('is NaN for q <= 1 (no population mean), for any x', () => {
    for (const q of [1, 0.5]) {
      expect(ggExpectedSpend({ ...CDNOW, q }, 0, 0)).toBeNaN();
      expect(ggExpectedSpend({ ...CDNOW, q }, 3, 20)).toBeNaN();
    }
  });
});

describe('ggLogLikelihood', () => {
  it('equals the log-density of m_x integrated over nu numerically', () => {
    for (const g of [CDNOW, SKEWED]) {
      for (const [x, mx] of [
        [1, 10],
        [3, 35.5],
        [12, 0.5],
        [60, 40],
      ] as const) {
        expect(ggLogLikelihood(g, x, mx)).toBeCloseTo(logDensityByIntegration(g, x, mx), 8);
      }
    }
  });

  it('is a density of m_x: it integrates to 1 over m_x > 0 (also for q <= 1)', () => {
    for (const g of [CDNOW, { p: 1.5, q: 0.8, gamma: 5 }]) {
      for (const x of [1, 4]) {
        // Over ln m: the mass in m is the integral of f(e^w) e^w dw.
        const total = integrateExp((w) => ggLogLikelihood(g, x, Math.exp(w)) + w, -60, 80, 40_000);
        expect(total).toBeCloseTo(1, 6);
      }
    }
  });
});

describe('bad input is NaN, never a throw', () => {
  const bad: [GammaGammaParams, number, number][] = [
    [{ ...CDNOW, p: 0 }, 2, 10],
    [{ ...CDNOW, q: -1 }, 2, 10],
    [{ ...CDNOW, gamma: Number.NaN }, 2, 10],
    [{ ...CDNOW, gamma: Infinity }, 2, 10],
    [CDNOW, -1, 10],
    [CDNOW, 0.5, 10],
    [CDNOW, Infinity, 10],
    [CDNOW, 2, 0],
    [CDNOW, 2, -3],
    [CDNOW, 2, Infinity],
    [CDNOW, Number.NaN, 10],
  ];
  it.each(bad)('%o x=%d mx=%d', (g, x, mx) => {
    expect(ggExpectedSpend(g, x, mx)).toBeNaN();
    expect(ggLogLikelihood(g, x, mx)).toBeNaN();
  });
  it('x = 0 has no likelihood (nothing to explain)', () => {
    expect(ggLogLikelihood(CDNOW, 0, 0)).toBeNaN();
  });
  it('any doubles at all: a number, never a throw', () => {
    const d = fc.double();
    fc.assert(
      fc.property(d, d, d, d, d, (p, q, gamma, x, mx) => {
        const g = { p, q, gamma };
        expect(typeof ggExpectedSpend(g, x, mx)).toBe('number');
        expect(typeof ggLogLikelihood(g, x, mx)).toBe('number');
      }),
    );
  });
});
