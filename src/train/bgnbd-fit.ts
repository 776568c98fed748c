import type { BgNbdParams } from '../score/bgnbd.js';
import { minimizeWithRestarts } from './nelder-mead.js';
import { gammaVariate, mulberry32 } from './random.js';
import { standardErrors } from './standard-errors.js';

/** Customers' BG/NBD summaries, one index per customer, all in one time unit (the unit of the fitted alpha). */
export interface BgNbdData {
  /** Repeat purchases (purchases after the first): non-negative integers. */
  readonly x: Float64Array;
  /** Time of the last repeat purchase since the first purchase; 0 when x = 0; 0 <= tx <= T. */
  readonly tx: Float64Array;
  /** Age: time from the first purchase to the end of observation (>= 0). */
  readonly T: Float64Array;
}

/** Result of {@link fitBgNbd}: the maximum-likelihood parameters and how they were reached. */
export type BgNbdFit = BgNbdParams & {
  /** Summed log-likelihood (eq. 6) of the used customers at the returned parameters. */
  logLikelihood: number;
  /** Nelder-Mead iterations, restarts included. */
  iterations: number;
  /** Customers used; the rest had a malformed summary (see {@link BgNbdData}) and were skipped. */
  customers: number;
  /**
   * Asymptotic standard errors of r, alpha, a and b themselves (not of their logs), in the fitted time unit,
   * from the observed information at the optimum (see {@link standardErrors}); NaN when the likelihood is not
   * curved there in every direction (a parameter the data do not identify, e.g. dropout on very young
   * customers) or no customer is usable.
   */
  standardErrors: { r: number; alpha: number; a: number; b: number };
};

/** Options of {@link fitBgNbd}. */
export interface FitBgNbdOptions {
  /** Iteration cap over all Nelder-Mead runs. @default 4000 */
  readonly maxIterations?: number;
  /** Stop when the simplex's mean log-likelihood per customer spans less than this. @default 1e-11 */
  readonly tolerance?: number;
}

/**
 * Fits BG/NBD parameters by maximum likelihood: Nelder-Mead over (ln r, ln alpha, ln a, ln b), so every
 * candidate is positive, restarted from its best point until a restart no longer improves (a collapsed
 * simplex can stall short of the optimum; {@link minimizeWithRestarts}), then standard errors from the
 * numerical Hessian of the summed likelihood at the optimum (33 more likelihood evaluations). Deterministic:
 * same data, same result. The x-dependent log-gamma terms are tabulated once per candidate as running sums of
 * logs over x = 0..max(x), so a candidate costs two logs and one exp per customer. Returns NaN parameters when no customer is usable.
 */
export function fitBgNbd(data: BgNbdData, opts: FitBgNbdOptions = {}): BgNbdFit {
  const maxIterations = opts.maxIterations ?? 4000;
  const tol = opts.tolerance ?? 1e-11;
  const used = usableCustomers(data);
  const n = used.x.length;
  if (n === 0) {
    const nan = { r: NaN, alpha: NaN, a: NaN, b: NaN };
    return { ...nan, logLikelihood: NaN, iterations: 0, customers: 0, standardErrors: { ...nan } };
  }
  const logLikelihood = summedLogLikelihood(used);
  // Minimised: minus the mean log-likelihood (O(1) whatever n, so `tol` means the same for any data size).
  const objective = (v: Float64Array): number => {
    const ll = logLikelihood(Math.exp(v[0]!), Math.exp(v[1]!), Math.exp(v[2]!), Math.exp(v[3]!));
    return Number.isFinite(ll) ? -ll / n : Infinity;
  };
  // Start: r = a = b = 1 and alpha matching the mean repeat-purchase rate (r / alpha = mean x / mean T).
  let sumX = 0;
  let sumT = 0;
  for (let i = 0; i < n; i++) {
    sumX += used.x[i]!;
    sumT += used.T[i]!;
  }
  const alpha0 = sumX > 0 && sumT > 0 ? sumT / sumX : Math.max(sumT / n, 1);
  const start = Float64Array.of(0, Math.log(alpha0), 0, 0);
  const min = minimizeWithRestarts(objective, start, 0.5, tol, maxIterations);
  const [r, alpha, a, b] = Array.from(min.x, Math.exp) as [number, number, number, number];
  const negLL = (v: Float64Array): number => -logLikelihood(v[0]!, v[1]!, v[2]!, v[3]!);
  const se = standardErrors(negLL, Float64Array.of(r, alpha, a, b));
  return {
    r,
    alpha,
    a,
    b,
    logLikelihood: logLikelihood(r, alpha, a, b),
    iterations: min.iterations,
    customers: n,
    standardErrors: { r: se[0]!, alpha: se[1]!, a: se[2]!, b: se[3]! },
  };
}

/** The customers whose summary is well formed (integer x >= 0, 0 <= tx <= T < Infinity), copied. */
function usableCustomers(data: BgNbdData): BgNbdData {
  const usable: number[] = [];
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i]!;
    const tx = data.tx[i]!;
    const T = data.T[i]!;
    if (Number.isInteger(x) && x >= 0 && tx >= 0 && tx <= T && T < Infinity) usable.push(i);
  }
  return {
    x: Float64Array.from(usable, (i) => data.x[i]!),
    tx: Float64Array.from(usable, (i) => data.tx[i]!),
    T: Float64Array.from(usable, (i) => data.T[i]!),
  };
}

/**
 * The summed eq. 6 log-likelihood of well-formed customers, as a function of the parameters. Per-x tables,
 * refilled once per call and shared by every customer: ln Gamma(r + x) - ln Gamma(r) and
 * ln B(a, b + x) - ln B(a, b) as running sums of logs.
 */
function summedLogLikelihood(d: BgNbdData): (r: number, alpha: number, a: number, b: number) => number {
  const { x, tx, T } = d;
  const n = x.length;
  const maxX = x.reduce((m, v) => Math.max(m, v), 0);
  const gammaR = new Float64Array(maxX + 1);
  const betaAB = new Float64Array(maxX + 1);
  return (r, alpha, a, b) => {
    for (let k = 1; k <= maxX; k++) {
      gammaR[k] = gammaR[k - 1]! + Math.log(r + k - 1);
      betaAB[k] = betaAB[k - 1]! + Math.log((b + k - 1) / (a + b + k - 1));
    }
    let sum = n * r * Math.log(alpha);
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const lnAT = -(r + xi) * Math.log(alpha + T[i]!);
      let tail = 0;
      if (xi > 0) {
        // ln of the dropout odds (the ratio of eq. 6's two terms); log-sum-exp keeps both finite.
        const odds = Math.log(a / (b + xi - 1)) + (r + xi) * Math.log1p((T[i]! - tx[i]!) / (alpha + tx[i]!));
        tail = odds > 0 ? odds + Math.log1p(Math.exp(-odds)) : Math.log1p(Math.exp(odds));
      }
      sum += gammaR[xi]! + betaAB[xi]! + lnAT + tail;
    }
    return sum;
  };
}

/**
 * Draws `customers` summaries from the BG/NBD generative process, for tests and benchmarks: per customer
 * lambda ~ Gamma(r, rate alpha) and p ~ Beta(a, b); from the first purchase at 0, purchases follow a Poisson
 * process of rate lambda, and after each repeat purchase the customer drops out with probability p; observation
 * ends at age `T` (one age for all, or one per customer, in alpha's time unit). Deterministic for a `seed`.
 */
export function simulateBgNbd(
  p: BgNbdParams,
  customers: number,
  T: number | Float64Array,
  seed: number,
): BgNbdData {
  const next = mulberry32(seed);
  const out = {
    x: new Float64Array(customers),
    tx: new Float64Array(customers),
    T: new Float64Array(customers),
  };
  for (let i = 0; i < customers; i++) {
    const age = typeof T === 'number' ? T : T[i % T.length]!;
    const lambda = gammaVariate(next, p.r) / p.alpha;
    const g = gammaVariate(next, p.a);
    const dropout = g / (g + gammaVariate(next, p.b));
    let t = 0;
    let x = 0;
    let tx = 0;
    for (;;) {
      t -= Math.log(next()) / lambda; // exponential inter-purchase time
      if (!(t <= age)) break;
      x++;
      tx = t;
      if (next() < dropout) break;
    }
    out.x[i] = x;
    out.tx[i] = tx;
    out.T[i] = age;
  }
  return out;
}
