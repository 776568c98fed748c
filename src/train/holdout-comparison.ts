/**
 * The model against its baselines on a set of held-out rows: each predictor's ROC-AUC, PR-AUC and Brier, the
 * difference model − baseline with a customer-resampled bootstrap interval, and the best single feature (so a
 * reader sees how much a one-column rule already gets).
 */
import { FEATURE_COUNT, FEATURE_NAMES } from '../state/feature-catalog.js';
import { bootstrapDifferences, type BootstrapOptions, type MetricDifferences } from './bootstrap.js';
import { predictorMetrics, round } from './evaluation.js';
import { rocAuc } from './metrics.js';
import { NON_NUMERIC_FEATURES } from './normalization.js';

/** A baseline's churn scores on the same rows as the model's. */
export interface ScoredBaseline {
  readonly name: string;
  /** What it is, for the report. */
  readonly description: string;
  readonly scores: ArrayLike<number>;
}

type Metrics = ReturnType<typeof predictorMetrics>;

/** One baseline's metrics and the model's difference from it. */
export interface BaselineComparison extends Metrics {
  readonly description: string;
  /** model − baseline, with its interval (rounded; null where undefined). */
  readonly difference: Record<keyof MetricDifferences, RoundedInterval>;
}

/** An interval as stored in a manifest. */
export interface RoundedInterval {
  readonly estimate: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

/** The comparison on one set of rows. */
export interface HoldoutComparison {
  readonly rows: number;
  readonly customers: number;
  readonly positiveRate: number;
  readonly model: Metrics;
  readonly baselines: BaselineComparison[];
  /** The single feature whose ranking alone scores best, ROC-AUC as max(AUC, 1 − AUC). */
  readonly bestFeature?: { readonly name: string; readonly rocAuc: number };
}

/** Rows of a comparison: positions in the model's test arrays, the rows' customers and feature matrix. */
export interface ComparisonRows {
  /** Which test positions to use. */
  readonly positions: ArrayLike<number>;
  /** Per test position: label, customer id index, and feature vector (FEATURE_COUNT floats, catalog order). */
  readonly labels: ArrayLike<number>;
  readonly customer: ArrayLike<number>;
  readonly features: Float32Array;
}

/** Compares the model with each baseline on `rows.positions`. */
export function compareOnRows(
  modelProbs: ArrayLike<number>,
  baselines: readonly ScoredBaseline[],
  rows: ComparisonRows,
  opts: BootstrapOptions = {},
): HoldoutComparison {
  const at = rows.positions;
  const pick = (a: ArrayLike<number>): Float64Array =>
    Float64Array.from({ length: at.length }, (_, k) => a[at[k]!]!);
  const y = pick(rows.labels);
  const customer = pick(rows.customer);
  const model = pick(modelProbs);
  let positives = 0;
  for (const v of y) positives += v;
  const best = bestFeature(rows.features, at, y);
  return {
    rows: at.length,
    customers: new Set(customer).size,
    positiveRate: at.length === 0 ? 0 : round(positives / at.length),
    model: predictorMetrics('model', model, y),
    baselines: baselines.map((b) => {
      const scores = pick(b.scores);
      const diff = bootstrapDifferences(model, scores, y, customer, opts);
      return {
        ...predictorMetrics(b.name, scores, y),
        description: b.description,
        difference: {
          rocAuc: rounded(diff.rocAuc),
          prAuc: rounded(diff.prAuc),
          brier: rounded(diff.brier),
        },
      };
    }),
    ...(best === undefined ? {} : { bestFeature: best }),
  };
}

/** The numeric feature with the highest max(AUC, 1 − AUC) on the rows. */
function bestFeature(
  features: Float32Array,
  at: ArrayLike<number>,
  labels: ArrayLike<number>,
): { name: string; rocAuc: number } | undefined {
  let best: { name: string; rocAuc: number } | undefined;
  const column = new Float64Array(at.length);
  FEATURE_NAMES.forEach((name, f) => {
    if (NON_NUMERIC_FEATURES.includes(name)) return;
    for (let k = 0; k < at.length; k++) column[k] = features[at[k]! * FEATURE_COUNT + f]!;
    const auc = rocAuc(column, labels);
    const strength = Math.max(auc, 1 - auc);
    if (Number.isFinite(strength) && (best === undefined || strength > best.rocAuc)) {
      best = { name, rocAuc: round(strength) };
    }
  });
  return best;
}

function rounded(i: { estimate: number; low: number; high: number }): RoundedInterval {
  const r = (v: number): number | null => (Number.isFinite(v) ? round(v) : null);
  return { estimate: r(i.estimate), low: r(i.low), high: r(i.high) };
}
