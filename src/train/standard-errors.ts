/**
 * Asymptotic standard errors of maximum-likelihood estimates from the observed information: the inverse of
 * the Hessian of the summed negative log-likelihood at the optimum. Used by the BG/NBD and Gamma-Gamma
 * fitters to say how far their parameters can be trusted.
 */

/** Relative step of the first pass, which only gauges each parameter's curvature (its rough SE). */
const REL_STEP = 1e-4;
/** Step of the second pass in standard errors: where the likelihood is quadratic yet moves well above rounding. */
const SE_STEP = 0.1;
/** The second pass's steps never exceed this fraction of the parameter (a positive one stays positive). */
const MAX_REL_STEP = 0.01;
/**
 * A pivot of the unit-diagonal (correlation-scaled) Hessian below this means it is singular or indefinite
 * within the accuracy of the differences: a direction the data do not pin down.
 */
const MIN_PIVOT = 1e-9;

/**
 * Standard errors of the parameters at `at` (a maximum of the likelihood): the square roots of the diagonal
 * of H^-1, H the Hessian of `negLogLik` (the negative log-likelihood SUMMED over observations, not averaged)
 * by central differences. Two passes: steps of 1e-4 of each parameter (absolute 1e-4 at 0) gauge its
 * curvature, then the Hessian is taken with steps of 0.1 of that rough standard error, at most 1% of the
 * parameter. A purely relative step fails a parameter much smaller than its SE (its second difference
 * drowns in the rounding of a likelihood summed over many customers); a step on the SE scale moves the
 * likelihood by ~0.005 whatever the parameter's size, where it is still quadratic. All entries NaN when H is
 * not positive definite (not a minimum, or a parameter not identifiable) or an evaluation is not finite.
 * Costs 2 d^2 + 2 d + 2 evaluations of `negLogLik`; `at` is not modified.
 */
export function standardErrors(negLogLik: (params: Float64Array) => number, at: Float64Array): Float64Array {
  const d = at.length;
  const out = new Float64Array(d).fill(NaN);
  const rough = Float64Array.from(at, (v) => (v === 0 ? REL_STEP : REL_STEP * Math.abs(v)));
  const curvature = diagonalCurvature(negLogLik, at, rough);
  const step = rough.map((h, i) => {
    const c = curvature[i]!;
    if (!(c > 0 && c < Infinity)) return h;
    const onSeScale = SE_STEP / Math.sqrt(c);
    return at[i] === 0 ? onSeScale : Math.min(onSeScale, MAX_REL_STEP * Math.abs(at[i]!));
  });
  const h = hessian(negLogLik, at, step);
  if (h === undefined || !invertPositiveDefinite(h, d)) return out;
  for (let i = 0; i < d; i++) out[i] = Math.sqrt(h[i * d + i]!);
  return out;
}

/** The Hessian's diagonal alone, by second differences with the given steps (NaN where not finite). */
function diagonalCurvature(
  f: (p: Float64Array) => number,
  at: Float64Array,
  step: Float64Array,
): Float64Array {
  const x = Float64Array.from(at);
  const f0 = f(x);
  return step.map((h, i) => {
    x[i] = at[i]! + h;
    const up = f(x);
    x[i] = at[i]! - h;
    const down = f(x);
    x[i] = at[i]!;
    return (up - 2 * f0 + down) / (h * h);
  });
}

/** Central-difference Hessian with the given steps, row-major d x d; undefined when a value is not finite. */
function hessian(
  f: (params: Float64Array) => number,
  at: Float64Array,
  step: Float64Array,
): Float64Array | undefined {
  const d = at.length;
  const x = Float64Array.from(at);
  // f at x shifted by si * step_i along i and sj * step_j along j (i may equal j), x restored afterwards.
  const shifted = (i: number, si: number, j: number, sj: number): number => {
    x[i] = x[i]! + si * step[i]!;
    x[j] = x[j]! + sj * step[j]!;
    const v = f(x);
    x[i] = at[i]!;
    x[j] = at[j]!;
    return v;
  };
  const f0 = f(x);
  const h = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const hi = step[i]!;
    h[i * d + i] = (shifted(i, 1, i, 0) - 2 * f0 + shifted(i, -1, i, 0)) / (hi * hi);
    for (let j = 0; j < i; j++) {
      const sum = shifted(i, 1, j, 1) - shifted(i, 1, j, -1) - shifted(i, -1, j, 1) + shifted(i, -1, j, -1);
      h[i * d + j] = h[j * d + i] = sum / (4 * hi * step[j]!);
    }
  }
  return h.every(Number.isFinite) ? h : undefined;
}

/**
 * Inverts the symmetric d x d matrix `m` (row-major) in place by Gauss-Jordan elimination, when it is
 * positive definite; returns false (m then undefined) when it is not. The matrix is first scaled to unit
 * diagonal, so parameters of very different sizes (a rate of 0.05 beside a scale of 40) do not decide the
 * pivots; then each step pivots on the largest remaining diagonal element. Diagonal pivoting keeps the
 * matrix symmetric, and for a symmetric matrix the pivots are all positive exactly when it is positive
 * definite (each is a ratio of leading principal minors), so the elimination is also the test.
 */
function invertPositiveDefinite(m: Float64Array, d: number): boolean {
  const scale = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const dii = m[i * d + i]!;
    if (!(dii > 0)) return false;
    scale[i] = 1 / Math.sqrt(dii);
  }
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) m[i * d + j] = m[i * d + j]! * scale[i]! * scale[j]!;
  const done = new Uint8Array(d);
  for (let step = 0; step < d; step++) {
    let k = -1;
    for (let i = 0; i < d; i++) if (done[i] === 0 && (k < 0 || m[i * d + i]! > m[k * d + k]!)) k = i;
    if (!(m[k * d + k]! > MIN_PIVOT)) return false;
    sweep(m, d, k);
    done[k] = 1;
  }
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) m[i * d + j] = m[i * d + j]! * scale[i]! * scale[j]!;
  return true;
}

/**
 * One in-place Gauss-Jordan step on pivot k (the "sweep" of Goodnight 1979): after sweeping every index once,
 * in any order, m holds its own inverse, with no second matrix to carry along.
 */
function sweep(m: Float64Array, d: number, k: number): void {
  const pivot = m[k * d + k]!;
  for (let j = 0; j < d; j++) m[k * d + j] = m[k * d + j]! / pivot;
  for (let i = 0; i < d; i++) {
    if (i === k) continue;
    const factor = m[i * d + k]!;
    for (let j = 0; j < d; j++) m[i * d + j] = m[i * d + j]! - factor * m[k * d + j]!;
    m[i * d + k] = -factor / pivot;
  }
  m[k * d + k] = 1 / pivot;
}
