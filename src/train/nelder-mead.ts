/**
 * Derivative-free minimisation for the small maximum-likelihood fits (BG/NBD: 4 parameters, Gamma-Gamma: 3).
 * Small and dependency-free; the fitters minimise over log-parameters so every candidate is positive.
 */

/** Where a minimisation ended. */
export interface Minimum {
  /** The best point found. */
  readonly x: Float64Array;
  /** The objective there. */
  readonly f: number;
  /** Iterations spent (restarts included, for {@link minimizeWithRestarts}). */
  readonly iterations: number;
}

/**
 * Nelder-Mead minimisation (reflection 1, expansion 2, contraction 0.5, shrink 0.5) from a simplex of `start`
 * and `start + step` along each axis. Stops when the simplex's values span less than `tol` or after
 * `maxIterations`. A non-finite objective should be reported as `Infinity` (treated as worst), not NaN.
 */
export function nelderMead(
  f: (v: Float64Array) => number,
  start: Float64Array,
  step: number,
  tol: number,
  maxIterations: number,
): Minimum {
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
    sortSimplex(pts, vals);
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

/** Orders the simplex's points best first, in place (a stable sort, so ties keep their order). */
function sortSimplex(pts: Float64Array[], vals: number[]): void {
  const order = vals.map((_, i) => i).sort((i, j) => vals[i]! - vals[j]!);
  const sorted = order.map((i) => pts[i]!);
  const sortedVals = order.map((i) => vals[i]!);
  pts.splice(0, pts.length, ...sorted);
  vals.splice(0, vals.length, ...sortedVals);
}

/**
 * {@link nelderMead} restarted from its best point until a restart improves by no more than `tol` or the
 * iteration budget is spent: a collapsed simplex can stall short of the optimum, and a fresh one of the
 * full `step` gets it moving again. Deterministic.
 */
export function minimizeWithRestarts(
  f: (v: Float64Array) => number,
  start: Float64Array,
  step: number,
  tol: number,
  maxIterations: number,
): Minimum {
  let best: Float64Array = Float64Array.from(start);
  let bestF = f(best);
  let iterations = 0;
  for (;;) {
    const run = nelderMead(f, best, step, tol, maxIterations - iterations);
    iterations += run.iterations;
    const improved = bestF - run.f;
    if (run.f <= bestF) {
      best = run.x;
      bestF = run.f;
    }
    if (!(improved > tol) || iterations >= maxIterations) break;
  }
  return { x: best, f: bestF, iterations };
}
