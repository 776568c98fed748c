/**
 * Uncertainty of "model − baseline" on a holdout: a percentile bootstrap that resamples CUSTOMERS, not rows.
 * One customer contributes a row per cut-off and those rows are correlated; resampling rows would pretend
 * they are independent and give intervals too narrow.
 */
import { Prng } from '../simulate/prng.js';
import { brierScore, prAuc, rocAuc } from './metrics.js';

/** A point estimate with its confidence interval. */
export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

/** model − baseline for each metric (for Brier, negative is the model being better). */
export interface MetricDifferences {
  readonly rocAuc: Interval;
  readonly prAuc: Interval;
  readonly brier: Interval;
}

/** Options of {@link bootstrapDifferences}. */
export interface BootstrapOptions {
  /** Resamples. @default 1000 */
  readonly replicates?: number;
  /** Confidence level. @default 0.95 */
  readonly level?: number;
  /** PRNG seed: the same data and seed give the same interval. @default 7 */
  readonly seed?: number;
}

type Metric = (scores: ArrayLike<number>, labels: ArrayLike<number>) => number;
const METRICS: readonly [keyof MetricDifferences, Metric][] = [
  ['rocAuc', rocAuc],
  ['prAuc', prAuc],
  ['brier', brierScore],
];

/**
 * The differences model − baseline of ROC-AUC, PR-AUC and Brier on the rows given, with percentile intervals
 * from resampling `customer` ids with replacement (each draw brings all of that customer's rows). Replicates
 * where a metric is undefined (one class absent) are dropped for that metric.
 */
export function bootstrapDifferences(
  model: ArrayLike<number>,
  baseline: ArrayLike<number>,
  labels: ArrayLike<number>,
  customer: ArrayLike<number>,
  opts: BootstrapOptions = {},
): MetricDifferences {
  const groups = rowsByCustomer(customer);
  const rng = new Prng(opts.seed ?? 7);
  const replicates = opts.replicates ?? 1000;
  const draws = METRICS.map(() => [] as number[]);
  const drawn = new Int32Array(groups.length);
  let m = new Float64Array(labels.length);
  let b = new Float64Array(labels.length);
  let y = new Uint8Array(labels.length);
  for (let rep = 0; rep < replicates; rep++) {
    let rows = 0;
    for (let g = 0; g < groups.length; g++) rows += groups[(drawn[g] = rng.int(groups.length))]!.length;
    // A resample can hold more rows than the data (customers with many rows drawn often): grow to fit.
    if (rows > m.length) [m, b, y] = [new Float64Array(rows), new Float64Array(rows), new Uint8Array(rows)];
    let n = 0;
    for (const g of drawn) {
      for (const r of groups[g]!) {
        m[n] = model[r]!;
        b[n] = baseline[r]!;
        y[n++] = labels[r]!;
      }
    }
    METRICS.forEach(([, metric], k) => {
      const d = metric(m.subarray(0, n), y.subarray(0, n)) - metric(b.subarray(0, n), y.subarray(0, n));
      if (Number.isFinite(d)) draws[k]!.push(d);
    });
  }
  const level = opts.level ?? 0.95;
  const out = {} as Record<keyof MetricDifferences, Interval>;
  METRICS.forEach(([name, metric], k) => {
    out[name] = {
      estimate: metric(model, labels) - metric(baseline, labels),
      ...percentiles(draws[k]!, level),
    };
  });
  return out;
}

/** Row indexes grouped by customer id. */
function rowsByCustomer(customer: ArrayLike<number>): number[][] {
  const byId = new Map<number, number[]>();
  for (let r = 0; r < customer.length; r++) {
    const rows = byId.get(customer[r]!);
    if (rows === undefined) byId.set(customer[r]!, [r]);
    else rows.push(r);
  }
  return [...byId.values()];
}

/** The (1 - level) / 2 and (1 + level) / 2 empirical quantiles; NaN when there are no draws. */
function percentiles(values: number[], level: number): { low: number; high: number } {
  if (values.length === 0) return { low: NaN, high: NaN };
  const sorted = Float64Array.from(values).sort();
  // The ceil(q n)-th smallest value (1-based): with 1,000 draws, the 25th and the 975th.
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { low: at((1 - level) / 2), high: at((1 + level) / 2) };
}
