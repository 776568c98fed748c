import type { BgNbdParams } from '../score/bgnbd.js';

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
 * simplex can stall short of the optimum). Deterministic: same data, same result. The x-dependent
 * log-gamma terms are tabulated once per candidate as running sums of logs over x = 0..max(x), so a
 * candidate costs two logs and one exp per customer. Returns NaN parameters when no customer is usable.
 */
export function fitBgNbd(data: BgNbdData, opts: FitBgNbdOptions = {}): BgNbdFit {
  const maxIterations = opts.maxIterations ?? 4000;
  const tol = opts.tolerance ?? 1e-11;
  const usable: number[] = [];
  let maxX = 0;
  let sumX = 0;
  let sumT = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i]!;
    const tx = data.tx[i]!;
    const T = data.T[i]!;
    if (!(Number.isInteger(x) && x >= 0 && tx >= 0 && tx <= T && T < Infinity)) continue;
    usable.push(i);
    if (x > maxX) maxX = x;
    sumX += x;
    sumT += T;
  }
  const n = usable.length;
  if (n === 0) return { r: NaN, alpha: NaN, a: NaN, b: NaN, logLikelihood: NaN, iterations: 0, customers: 0 };
  const x = Float64Array.from(usable, (i) => data.x[i]!);
  const tx = Float64Array.from(usable, (i) => data.tx[i]!);
  const T = Float64Array.from(usable, (i) => data.T[i]!);
  // Per-x tables, reused by every candidate: ln Gamma(r + x) - ln Gamma(r) and ln B(a, b + x) - ln B(a, b).
  const gammaR = new Float64Array(maxX + 1);
  const betaAB = new Float64Array(maxX + 1);

  const logLikelihood = (r: number, alpha: number, a: number, b: number): number => {
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
  // Minimised: minus the mean log-likelihood (O(1) whatever n, so `tol` means the same for any data size).
  const objective = (v: Float64Array): number => {
    const ll = logLikelihood(Math.exp(v[0]!), Math.exp(v[1]!), Math.exp(v[2]!), Math.exp(v[3]!));
    return Number.isFinite(ll) ? -ll / n : Infinity;
  };

  // Start: r = a = b = 1 and alpha matching the mean repeat-purchase rate (r / alpha = mean x / mean T).
  const alpha0 = sumX > 0 && sumT > 0 ? sumT / sumX : Math.max(sumT / n, 1);
  let best: Float64Array = Float64Array.of(0, Math.log(alpha0), 0, 0);
  let bestF = objective(best);
  let iterations = 0;
  for (;;) {
    const run = nelderMead(objective, best, 0.5, tol, maxIterations - iterations);
    iterations += run.iterations;
    const improved = bestF - run.f;
    if (run.f <= bestF) {
      best = run.x;
      bestF = run.f;
    }
    if (!(improved > tol) || iterations >= maxIterations) break;
  }
  const [r, alpha, a, b] = Array.from(best, Math.exp) as [number, number, number, number];
  return { r, alpha, a, b, logLikelihood: logLikelihood(r, alpha, a, b), iterations, customers: n };
}

/**
 * Nelder-Mead minimisation (reflection 1, expansion 2, contraction 0.5, shrink 0.5) from a simplex of `start`
 * and `start + step` along each axis. Stops when the simplex's values span less than `tol` or after
 * `maxIterations`. Small and dependency-free; 4 dimensions here.
 */
function nelderMead(
  f: (v: Float64Array) => number,
  start: Float64Array,
  step: number,
  tol: number,
  maxIterations: number,
): { x: Float64Array; f: number; iterations: number } {
  const d = start.length;
  const pts: Float64Array[] = [Float64Array.from(start)];
  for (let i = 0; i < d; i++) {
    const p = Float64Array.from(start);
    p[i] = p[i]! + step;
    pts.push(p);
  }
  const vals = pts.map(f);
  const centroid = new Float64Array(d);
  // Points along the line from the centroid through the worst point: c + t (worst - c).
  const along = (t: number, worst: Float64Array): Float64Array =>
    centroid.map((c, j) => c + t * (worst[j]! - c));
  let it = 0;
  for (; it < maxIterations; it++) {
    const order = vals.map((_, i) => i).sort((i, j) => vals[i]! - vals[j]!);
    const sorted = order.map((i) => pts[i]!);
    const sortedVals = order.map((i) => vals[i]!);
    pts.splice(0, pts.length, ...sorted);
    vals.splice(0, vals.length, ...sortedVals);
    if (vals[d]! - vals[0]! < tol) break;
    centroid.fill(0);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) centroid[j] = centroid[j]! + pts[i]![j]! / d;
    const worst = pts[d]!;
    const reflected = along(-1, worst);
    const fr = f(reflected);
    if (fr < vals[0]!) {
      const expanded = along(-2, worst);
      const fe = f(expanded);
      [pts[d], vals[d]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < vals[d - 1]!) {
      [pts[d], vals[d]] = [reflected, fr];
    } else {
      // Contract towards the better of the worst point and its reflection.
      const inside = fr >= vals[d]!;
      const contracted = along(inside ? 0.5 : -0.5, worst);
      const fc = f(contracted);
      if (fc < Math.min(fr, vals[d]!)) {
        [pts[d], vals[d]] = [contracted, fc];
      } else {
        for (let i = 1; i <= d; i++) {
          pts[i] = pts[i]!.map((v, j) => pts[0]![j]! + 0.5 * (v - pts[0]![j]!));
          vals[i] = f(pts[i]!);
        }
      }
    }
  }
  return { x: pts[0]!, f: vals[0]!, iterations: it };
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
    const lambda = gamma(next, p.r) / p.alpha;
    const g = gamma(next, p.a);
    const dropout = g / (g + gamma(next, p.b));
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

/** Uniform in (0, 1) from a 32-bit state (mulberry32): tiny, fast, and good enough for simulation tests. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = Math.imul(s ^ (s >>> 15), 1 | s);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    return (((z ^ (z >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** Gamma(shape, 1) draw: Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1) * U^(1 / shape). */
function gamma(next: () => number, shape: number): number {
  if (shape < 1) return gamma(next, shape + 1) * Math.pow(next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    // Standard normal by Box-Muller (one of the pair; simplicity over speed here).
    const z = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}
