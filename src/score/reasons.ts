import * as tf from '@tensorflow/tfjs';
import type { ModelRunner } from './model-runner.js';
import type { Reason } from './types.js';

/**
 * How reason codes are computed for a model:
 * - `'gradient'`: gradient × input in the normalised space, for the whole batch in one backward pass;
 * - `'occlusion'`: each input column set to its reference value (the normalisation mean, i.e. 0) in turn,
 *   all columns and rows in one forward pass; used when TF.js cannot differentiate the network (e.g. a
 *   GraphModel with a Cumprod node, which has no TF.js gradient).
 */
export type ExplainMethod = 'gradient' | 'occlusion';

// Probabilities are clipped this far from 0 and 1 before taking log-odds (float32 cannot tell 1 - 1e-8 from 1).
const P_EPS = 1e-7;
// Occlusion evaluates rows × columns inputs at once; chunks keep that tensor near 64k rows.
const OCCLUSION_ROWS = 65_536;

/**
 * Per-row, per-column contributions to the churn log-odds, relative to the reference customer (all inputs at
 * their normalisation mean, i.e. normalised 0): a rows × columns matrix, row-major.
 *
 * With `'gradient'` the value is ∂logit/∂z · z for normalised input z, which for a logistic model is exactly
 * w·z, each feature's additive share of the log-odds. When the runner has no separate logit head the
 * gradient of the probability is divided by p(1 − p) (the sigmoid's slope), the same in exact arithmetic;
 * for rows whose probability rounds to 0 or 1 in float32 that gradient is 0 and the row has no reasons.
 * With `'occlusion'` the value is logit(x) − logit(x with column j at the reference).
 * `x` is the normalised input, shape [rows, columns]; it is not disposed.
 */
export async function contributions(
  runner: ModelRunner,
  x: tf.Tensor2D,
  method: ExplainMethod,
): Promise<Float32Array> {
  const out = method === 'gradient' ? gradientTimesInput(runner, x) : occlusion(runner, x);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

function gradientTimesInput(runner: ModelRunner, x: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    // Rows are independent, so the gradient of the batch sum with respect to row r's input is the gradient
    // of row r's own output: one backward pass explains the whole batch.
    if (runner.logit !== undefined) {
      const logit = runner.logit;
      return tf.mul(tf.grad((t: tf.Tensor) => logit(t as tf.Tensor2D).sum())(x), x);
    }
    const g = tf.grad((t: tf.Tensor) => runner.probability(t as tf.Tensor2D).sum())(x);
    const p = runner.probability(x).reshape([-1, 1]);
    const slope = tf.maximum(tf.mul(p, tf.sub(1, p)), 1e-30);
    return tf.div(tf.mul(g, x), slope);
  });
}

function occlusion(runner: ModelRunner, x: tf.Tensor2D): tf.Tensor {
  const [rows, n] = x.shape;
  const chunk = Math.max(1, Math.floor(OCCLUSION_ROWS / Math.max(1, n)));
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < rows; start += chunk) {
      const size = Math.min(chunk, rows - start);
      parts.push(
        tf.tidy(() => {
          const xs = x.slice([start, 0], [size, n]);
          const base = logOdds(runner, xs).reshape([size, 1]);
          // size × n copies of each row, copy j with column j zeroed: mask = 1 − I.
          const mask = tf.sub(1, tf.eye(n)).reshape([1, n, n]);
          const occluded = tf.mul(xs.reshape([size, 1, n]), mask).as2D(size * n, n);
          return tf.sub(base, logOdds(runner, occluded).reshape([size, n]));
        }),
      );
    }
    return parts.length === 1 ? parts[0]!.clone() : tf.concat(parts, 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}

function logOdds(runner: ModelRunner, x: tf.Tensor2D): tf.Tensor {
  if (runner.logit !== undefined) return runner.logit(x);
  const p = tf.clipByValue(runner.probability(x), P_EPS, 1 - P_EPS);
  return tf.log(tf.div(p, tf.sub(1, p)));
}

/**
 * The top `k` reasons of each row of a rows × names.length contribution matrix: the columns with the largest
 * |contribution|, strongest first; `direction` 'up' for a positive contribution (raises the risk), 'down' for a
 * negative one; `weight` the contribution itself (log-odds units, sign included). Columns contributing exactly
 * 0 (or NaN) are never reasons, so a row may have fewer than `k`.
 */
export function topReasons(
  contrib: Float32Array,
  rows: number,
  names: readonly string[],
  k: number,
): Reason[][] {
  const n = names.length;
  const want = Math.max(0, Math.min(Math.floor(k), n));
  const out: Reason[][] = new Array<Reason[]>(rows);
  // One scratch list of chosen columns reused across rows; selection is k passes over n columns, cheaper
  // than sorting n for the k ≤ 5 a score update carries.
  const chosen = new Int32Array(want);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const reasons: Reason[] = [];
    for (let picked = 0; picked < want; picked++) {
      let best = -1;
      let bestAbs = 0;
      for (let j = 0; j < n; j++) {
        const a = Math.abs(contrib[base + j]!);
        if (!(a > bestAbs)) continue;
        let taken = false;
        for (let q = 0; q < picked && !taken; q++) taken = chosen[q] === j;
        if (!taken) {
          best = j;
          bestAbs = a;
        }
      }
      if (best < 0) break;
      chosen[picked] = best;
      const w = contrib[base + best]!;
      reasons.push({ feature: names[best]!, direction: w > 0 ? 'up' : 'down', weight: w });
    }
    out[r] = reasons;
  }
  return out;
}
