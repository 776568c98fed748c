import { describe, expect, it } from 'vitest';
import { gammaVariate, mulberry32 } from '../../src/train/random.js';
import { standardErrors } from '../../src/train/standard-errors.js';

/** Relative closeness. */
function expectRel(got: number, want: number, rel: number): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));
}

/** n draws from a Poisson(lambda) distribution by counting unit-rate exponential arrivals. */
function poissonSample(lambda: number, n: number, seed: number): Float64Array {
  const next = mulberry32(seed);
  return Float64Array.from({ length: n }, () => {
    let k = 0;
    for (let t = -Math.log(next()); t <= lambda; t -= Math.log(next())) k++;
    return k;
  });
}

describe('standardErrors', () => {
  it('Poisson rate: SE = sqrt(lambda / n) at the MLE (the mean)', () => {
    const k = poissonSample(3.7, 2_000, 1);
    const n = k.length;
    const sum = k.reduce((s, v) => s + v, 0);
    const mle = sum / n;
    // Negative log-likelihood without the ln k! constant: n lambda - sum(k) ln lambda.
    const se = standardErrors((v) => n * v[0]! - sum * Math.log(v[0]!), Float64Array.of(mle));
    expectRel(se[0]!, Math.sqrt(mle / n), 1e-6);
  });

  it('normal mean and sd: SE(mu) = sigma / sqrt(n), SE(sigma) = sigma / sqrt(2n), uncorrelated', () => {
    const next = mulberry32(2);
    const n = 5_000;
    const xs = Float64Array.from(
      { length: n },
      () => 10 + (3 * (gammaVariate(next, 50) - 50)) / Math.sqrt(50),
    );
    const mu = xs.reduce((s, v) => s + v, 0) / n;
    const sigma = Math.sqrt(xs.reduce((s, v) => s + (v - mu) ** 2, 0) / n);
    const nll = (v: Float64Array): number => {
      let ss = 0;
      for (const x of xs) ss += (x - v[0]!) ** 2;
      return n * Math.log(v[1]!) + ss / (2 * v[1]! ** 2);
    };
    const se = standardErrors(nll, Float64Array.of(mu, sigma));
    expectRel(se[0]!, sigma / Math.sqrt(n), 1e-5);
    expectRel(se[1]!, sigma / Math.sqrt(2 * n), 1e-5);
  });

  it('a correlated quadratic with parameters 1e7 apart in size: SE = sqrt(diag(A^-1)) exactly', () => {
    // A = D C D, C compound symmetry (correlation rho everywhere), whose inverse has a closed form:
    // C^-1 = (I - rho / (1 + (d - 1) rho) 11') / (1 - rho), so diag(A^-1)_i = C^-1_ii / D_i^2.
    const d = 4;
    const rho = 0.9;
    const D = [1e3, 1, 1e-2, 1e-4];
    const m = Float64Array.of(2e-3, 5, -300, 4e4);
    const nll = (v: Float64Array): number => {
      let q = 0;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          const c = i === j ? 1 : rho;
          q += (v[i]! - m[i]!) * D[i]! * c * D[j]! * (v[j]! - m[j]!);
        }
      }
      return 0.5 * q + 1e6; // an offset, as a summed likelihood has: rounding must not swamp the curvature
    };
    const cInvDiag = (1 - rho / (1 + (d - 1) * rho)) / (1 - rho);
    const se = standardErrors(nll, m);
    // The first parameter's SE (2.8e-3) exceeds its value (2e-3): a 1e-4 relative step alone lost 1e-2 here.
    for (let i = 0; i < d; i++) expectRel(se[i]!, Math.sqrt(cInvDiag) / D[i]!, 1e-6);
  });

  it('handles a parameter equal to 0 (no relative step to take)', () => {
    const se = standardErrors((v) => 0.5 * 4 * v[0]! ** 2, Float64Array.of(0));
    expectRel(se[0]!, 0.5, 1e-9);
  });

  it('is all NaN when the Hessian is not positive definite or an evaluation is not finite', () => {
    const at = Float64Array.of(1, 2);
    const saddle = standardErrors((v) => (v[0]! - 1) ** 2 - (v[1]! - 2) ** 2, at);
    const flat = standardErrors((v) => (v[0]! - 1) ** 2, at); // the second parameter is not identified
    const maximum = standardErrors((v) => -((v[0]! - 1) ** 2) - (v[1]! - 2) ** 2, at);
    const singular = standardErrors((v) => (v[0]! + v[1]! - 3) ** 2, at); // only the sum is identified
    const infinite = standardErrors((v) => (v[0]! > 1 ? Infinity : (v[0]! - 1) ** 2 + v[1]! ** 2), at);
    for (const se of [saddle, flat, maximum, singular, infinite]) {
      expect(Array.from(se).every(Number.isNaN)).toBe(true);
    }
  });

  it('leaves `at` as it was', () => {
    const at = Float64Array.of(1.5, 0.25);
    standardErrors((v) => v[0]! ** 2 + v[0]! * v[1]! + v[1]! ** 2, at);
    expect(Array.from(at)).toEqual([1.5, 0.25]);
  });
});
