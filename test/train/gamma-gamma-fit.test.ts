import { describe, expect, it } from 'vitest';
import type { GammaGammaParams } from '../../src/score/gamma-gamma.js';
import { ggExpectedSpend, ggLogLikelihood } from '../../src/score/gamma-gamma.js';
import { simulateBgNbd } from '../../src/train/bgnbd-fit.js';
import type { GammaGammaData } from '../../src/train/gamma-gamma-fit.js';
import { fitGammaGamma, simulateGammaGamma } from '../../src/train/gamma-gamma-fit.js';

// Fader & Hardie (2013)'s CDNOW estimates, used as the simulation's truth (no CDNOW data here to fit).
const CDNOW: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const KEYS = ['p', 'q', 'gamma'] as const;
/**
 * Realistic transaction counts: the repeat purchases of BG/NBD customers with at least one (CDNOW-like: most
 * have 1-3, a few dozens; mean about 3.6), drawn once.
 */
const COUNTS = (() => {
  const ages = Float64Array.from({ length: 100 }, (_, i) => 52 + (i * 52) / 99);
  const d = simulateBgNbd({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 20_000, ages, 7);
  return d.x.filter((x) => x >= 1);
})();

function totalLL(g: GammaGammaParams, d: GammaGammaData): number {
  let sum = 0;
  for (let i = 0; i < d.x.length; i++) sum += ggLogLikelihood(g, d.x[i]!, d.mx[i]!);
  return sum;
}

describe('simulateGammaGamma', () => {
  it('is deterministic per seed, with the model mean p gamma / (q - 1) at every x, and m_x = 0 at x = 0', () => {
    const d = simulateGammaGamma(CDNOW, 20_000, Float64Array.of(0, 1, 4), 3);
    expect(simulateGammaGamma(CDNOW, 20_000, Float64Array.of(0, 1, 4), 3)).toEqual(d);
    const mean = (CDNOW.p * CDNOW.gamma) / (CDNOW.q - 1);
    for (const x of [1, 4]) {
      const mx = d.mx.filter((_, i) => d.x[i] === x);
      const m = mx.reduce((s, v) => s + v, 0) / mx.length;
      const sd = Math.sqrt(mx.reduce((s, v) => s + (v - m) ** 2, 0) / (mx.length - 1));
      expect(Math.abs(m - mean), `x = ${x}: mean ${m}`).toBeLessThan((4 * sd) / Math.sqrt(mx.length));
    }
    expect(d.mx.filter((_, i) => d.x[i] === 0).every((v) => v === 0)).toBe(true);
  });
});

describe('fitGammaGamma', () => {
  it('recovers the parameters from 5,000 simulated customers within 3 of its standard errors', () => {
    const d = simulateGammaGamma(CDNOW, 5_000, COUNTS, 11);
    const fit = fitGammaGamma(d);
    expect(fit.customers).toBe(5_000);
    expect(fit.logLikelihood).toBeCloseTo(totalLL(fit, d), 6);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(totalLL(CDNOW, d));
    for (const k of KEYS) {
      const se = fit.standardErrors[k];
      expect(se, k).toBeGreaterThan(0);
      expect(Math.abs(fit[k] - CDNOW[k]), `${k} = ${fit[k]} (SE ${se})`).toBeLessThan(3 * se);
    }
  });

  it('reports standard errors that match the spread of the estimates over 20 simulated data sets', () => {
    // The SD of 20 estimates is itself uncertain by about 1 / sqrt(2 * 19) = 16%, hence the loose band.
    const fits = Array.from({ length: 20 }, (_, i) =>
      fitGammaGamma(simulateGammaGamma(CDNOW, 5_000, COUNTS, 100 + i)),
    );
    for (const k of KEYS) {
      const est = fits.map((f) => f[k]);
      const mean = est.reduce((s, v) => s + v, 0) / est.length;
      const sd = Math.sqrt(est.reduce((s, v) => s + (v - mean) ** 2, 0) / (est.length - 1));
      const se = fits.reduce((s, f) => s + f.standardErrors[k], 0) / fits.length;
      expect(sd / se, `${k}: SD ${sd} of estimates, mean SE ${se}`).toBeGreaterThan(0.6);
      expect(sd / se, `${k}: SD ${sd} of estimates, mean SE ${se}`).toBeLessThan(1.6);
    }
  });

  it('is a maximum: nudging any parameter lowers the likelihood; deterministic', () => {
    const d = simulateGammaGamma(CDNOW, 2_000, COUNTS, 12);
    const fit = fitGammaGamma(d);
    for (const k of KEYS) {
      for (const f of [0.99, 1.01])
        expect(totalLL({ ...fit, [k]: fit[k] * f }, d)).toBeLessThan(fit.logLikelihood);
    }
    expect(fitGammaGamma(d)).toEqual(fit);
  });

  it('does not impose q > 1: on data from q < 1 it says so, and ggExpectedSpend is then NaN', () => {
    const heavy: GammaGammaParams = { p: 3, q: 0.8, gamma: 10 };
    const fit = fitGammaGamma(simulateGammaGamma(heavy, 5_000, COUNTS, 13));
    expect(fit.q).toBeLessThan(1);
    expect(Math.abs(fit.q - heavy.q)).toBeLessThan(3 * fit.standardErrors.q);
    expect(ggExpectedSpend(fit, 0, 0)).toBeNaN();
    expect(ggExpectedSpend(fit, 3, 20)).toBeNaN();
  });

  it('skips customers without a repeat transaction or a positive mean, and is NaN when none is left', () => {
    const d = simulateGammaGamma(CDNOW, 2_000, COUNTS, 14);
    const withBad = {
      x: Float64Array.of(...d.x, 0, 0.5, 3, 3, -2, Number.NaN, 2),
      mx: Float64Array.of(...d.mx, 0, 10, 0, -5, 10, 10, Infinity),
    };
    const fit = fitGammaGamma(withBad);
    expect(fit.customers).toBe(2_000);
    expect(fit.logLikelihood).toBeCloseTo(fitGammaGamma(d).logLikelihood, 6);
    const none = fitGammaGamma({ x: Float64Array.of(0, 2), mx: Float64Array.of(0, 0) });
    expect(none.customers).toBe(0);
    for (const k of KEYS) {
      expect(none[k]).toBeNaN();
      expect(none.standardErrors[k]).toBeNaN();
    }
  });
});
