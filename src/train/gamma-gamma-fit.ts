/**
 * Maximum-likelihood fit of the Gamma-Gamma model of monetary value (Fader & Hardie 2013), and a simulator of
 * its generative process for tests. The closed forms live in `score/gamma-gamma.ts`.
 */
import { lnGamma } from '../score/bgnbd.js';
import type { GammaGammaParams } from '../score/gamma-gamma.js';
import { minimizeWithRestarts } from './nelder-mead.js';
import { gammaVariate, mulberry32 } from './random.js';
import { standardErrors } from './standard-errors.js';

/** Customers' monetary summaries, one index per customer. */
export interface GammaGammaData {
  /** Repeat transactions whose values are averaged in `mx` (customers with x < 1 are skipped by the fit). */
  readonly x: Float64Array;
  /** Mean value of those x transactions (> 0 to be used; lifetimes' convention puts 0 where x = 0). */
  readonly mx: Float64Array;
}

/** Result of {@link fitGammaGamma}. */
export type GammaGammaFit = GammaGammaParams & {
  /** Summed log-likelihood ({@link ggLogLikelihood}) of the used customers at the returned parameters. */
  logLikelihood: number;
  /** Nelder-Mead iterations, restarts included. */
  iterations: number;
  /** Customers used: x >= 1 and 0 < m_x < Infinity. */
  customers: number;
  /**
   * Asymptotic standard errors of p, q and gamma themselves, from the observed information at the optimum;
   * NaN when the likelihood is not curved there in every direction, or no customer is usable.
   */
  standardErrors: { p: number; q: number; gamma: number };
};

/** Iteration cap over all Nelder-Mead runs, and the stopping span of the mean log-likelihood per customer. */
const MAX_ITERATIONS = 4000;
const TOLERANCE = 1e-11;

/**
 * Fits p, q, gamma by maximum likelihood over the customers with x >= 1 and 0 < m_x < Infinity (the rest are
 * skipped and not counted): Nelder-Mead over (ln p, ln q, ln gamma) restarted until it stops improving,
 * then standard errors from the numerical Hessian. Deterministic. NaN parameters when no customer is usable.
 *
 * q > 1 is not imposed: the fit reports what the data say, and a q <= 1 (values so dispersed across
 * customers that the population's mean spend is infinite under the model) makes `ggExpectedSpend` NaN for
 * every customer: a visible failure rather than a constrained fit that hides a model that does not fit.
 */
export function fitGammaGamma(data: GammaGammaData): GammaGammaFit {
  const used = usableCustomers(data);
  const n = used.x.length;
  if (n === 0) {
    const nan = { p: NaN, q: NaN, gamma: NaN };
    return { ...nan, logLikelihood: NaN, iterations: 0, customers: 0, standardErrors: { ...nan } };
  }
  const logLikelihood = summedLogLikelihood(used);
  // Minimised: minus the mean log-likelihood, so the tolerance means the same for any number of customers.
  const objective = (v: Float64Array): number => {
    const ll = logLikelihood(Math.exp(v[0]!), Math.exp(v[1]!), Math.exp(v[2]!));
    return Number.isFinite(ll) ? -ll / n : Infinity;
  };
  // Start: p = 1, q = 2, so the population mean p gamma / (q - 1) = gamma is the customers' mean m_x.
  const meanMx = used.mx.reduce((s, v) => s + v, 0) / n;
  const start = Float64Array.of(0, Math.log(2), Math.log(meanMx));
  const min = minimizeWithRestarts(objective, start, 0.5, TOLERANCE, MAX_ITERATIONS);
  const [p, q, gamma] = Array.from(min.x, Math.exp) as [number, number, number];
  const se = standardErrors((v) => -logLikelihood(v[0]!, v[1]!, v[2]!), Float64Array.of(p, q, gamma));
  return {
    p,
    q,
    gamma,
    logLikelihood: logLikelihood(p, q, gamma),
    iterations: min.iterations,
    customers: n,
    standardErrors: { p: se[0]!, q: se[1]!, gamma: se[2]! },
  };
}

/** The customers with x >= 1 and a positive finite m_x, copied. */
function usableCustomers(data: GammaGammaData): GammaGammaData {
  const usable: number[] = [];
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i]!;
    const mx = data.mx[i]!;
    if (x >= 1 && x < Infinity && mx > 0 && mx < Infinity) usable.push(i);
  }
  return {
    x: Float64Array.from(usable, (i) => data.x[i]!),
    mx: Float64Array.from(usable, (i) => data.mx[i]!),
  };
}

/**
 * The summed Gamma-Gamma log-likelihood of usable customers as a function of (p, q, gamma). The terms that
 * depend on x only (ln Gamma(p x + q) - ln Gamma(p x) + p x ln x) are computed once per distinct x per call;
 * transaction counts repeat a lot, so a candidate costs about one log per customer.
 */
function summedLogLikelihood(d: GammaGammaData): (p: number, q: number, gamma: number) => number {
  const slots = new Map<number, number>();
  for (const x of d.x) if (!slots.has(x)) slots.set(x, slots.size);
  const distinct = Float64Array.from(slots.keys());
  const slot = Int32Array.from(d.x, (x) => slots.get(x)!);
  const lnMx = Float64Array.from(d.mx, Math.log);
  const perX = new Float64Array(distinct.length);
  return (p, q, gamma) => {
    for (let k = 0; k < distinct.length; k++) {
      const px = p * distinct[k]!;
      perX[k] = lnGamma(px + q) - lnGamma(px) + px * Math.log(distinct[k]!);
    }
    const n = d.x.length;
    let sum = n * (q * Math.log(gamma) - lnGamma(q));
    for (let i = 0; i < n; i++) {
      const x = d.x[i]!;
      const px = p * x;
      sum += perX[slot[i]!]! + (px - 1) * lnMx[i]! - (px + q) * Math.log(gamma + x * d.mx[i]!);
    }
    return sum;
  };
}

/**
 * Draws `customers` monetary summaries from the Gamma-Gamma generative process, for tests: per customer
 * nu ~ Gamma(q, rate gamma), then each of its x transaction values ~ Gamma(p, rate nu), and m_x their mean
 * (0 when x = 0). `x` is one count for all, or one per customer (cycled when shorter). Deterministic per seed.
 */
export function simulateGammaGamma(
  g: GammaGammaParams,
  customers: number,
  x: Float64Array | number,
  seed: number,
): GammaGammaData {
  const next = mulberry32(seed);
  const out = { x: new Float64Array(customers), mx: new Float64Array(customers) };
  for (let i = 0; i < customers; i++) {
    const count = typeof x === 'number' ? x : x[i % x.length]!;
    const nu = gammaVariate(next, g.q) / g.gamma;
    let sum = 0;
    for (let k = 0; k < count; k++) sum += gammaVariate(next, g.p) / nu;
    out.x[i] = count;
    out.mx[i] = count > 0 ? sum / count : 0;
  }
  return out;
}
