/**
 * One fit of a training set under a split of its rows: the MLP on the training rows (early stopping on the
 * validation rows), the probabilistic baselines on one summary per training customer at the end of the fitting
 * window, and every predictor's churn scores on the test rows. The shipped model is one run (customers held
 * out); the out-of-time check is another (later cut-offs held out too).
 */
import * as tf from '@tensorflow/tfjs';
import { FEATURE_COUNT } from '../state/feature-catalog.js';
import {
  fitBgNbdBaseline,
  fitSpendBaseline,
  probNoTransaction,
  type BgNbdBaseline,
  type SpendBaseline,
} from './bgnbd-baseline.js';
import {
  ACTIVITY_STRIDE,
  PURCHASE_STRIDE,
  purchaseSummary,
  type SummaryTable,
} from './customer-summaries.js';
import type { ScoredBaseline } from './holdout-comparison.js';
import { trainChurnMlp, type MlpOptions, type MlpResult } from './mlp.js';
import { fitModelInputs, modelMatrix, type ModelInputs } from './normalization.js';
import type { TrainingSet } from './training-set.js';

/** Row indexes of a training set by role, ascending. */
export interface RowSplit {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
}

/** What one run fitted and how each predictor scores the test rows (aligned with `split.test`). */
export interface FitRun {
  readonly model: tf.LayersModel;
  readonly inputs: ModelInputs;
  readonly mlp: MlpResult;
  readonly testProbs: Float32Array;
  /** BG/NBD on purchase days, on own-activity days, and Gamma-Gamma spend, when the history identifies them. */
  readonly purchase?: BgNbdBaseline;
  readonly activity?: BgNbdBaseline;
  readonly spend?: SpendBaseline;
  readonly baselines: readonly ScoredBaseline[];
}

/**
 * Fits the MLP and the baselines. `fitTable` holds every customer's summaries at the end of the fitting window;
 * the baselines use those of `fitCustomers` (the training customers).
 */
export async function fitRun(
  set: TrainingSet,
  split: RowSplit,
  fitTable: SummaryTable,
  fitCustomers: ArrayLike<number>,
  mlp: MlpOptions & { readonly seed: number },
): Promise<FitRun> {
  const member = (rows: Int32Array): ((r: number) => boolean) => {
    const mask = new Uint8Array(set.rows);
    for (const r of rows) mask[r] = 1;
    return (r) => mask[r] === 1;
  };
  const inputs = fitModelInputs(set.x, set.rows, member(split.train));
  const part = (rows: Int32Array): { x: Float32Array; y: Uint8Array; rows: number; cols: number } => ({
    x: modelMatrix(inputs, set.x, set.rows, member(rows)).matrix,
    y: Uint8Array.from(rows, (r) => set.y[r]!),
    rows: rows.length,
    cols: inputs.columns.length,
  });
  const test = part(split.test);
  const fit = await trainChurnMlp(part(split.train), part(split.validation), mlp);
  const testProbs = await predict(fit.model, test.x, test.rows, test.cols);
  const purchase = fitBgNbdBaseline(fitTable.purchase, PURCHASE_STRIDE, fitCustomers);
  const activity = fitBgNbdBaseline(fitTable.activity, ACTIVITY_STRIDE, fitCustomers);
  const spend = fitSpendBaseline(fitTable.purchase, PURCHASE_STRIDE, fitCustomers);
  return {
    model: fit.model,
    inputs,
    mlp: fit,
    testProbs,
    ...(purchase === undefined ? {} : { purchase }),
    ...(activity === undefined ? {} : { activity }),
    ...(spend === undefined ? {} : { spend }),
    baselines: scoredBaselines(set, split.test, purchase, activity),
  };
}

/**
 * The baselines fair to the label: P(no transaction within the horizon) from BG/NBD. A `no_activity` label is
 * matched by BG/NBD on own-activity days, shown first; purchase BG/NBD is always shown beside it.
 */
function scoredBaselines(
  set: TrainingSet,
  test: Int32Array,
  purchase: BgNbdBaseline | undefined,
  activity: BgNbdBaseline | undefined,
): ScoredBaseline[] {
  const days = set.definition.days;
  const out: ScoredBaseline[] = [];
  if (activity !== undefined && set.definition.kind === 'no_activity') {
    out.push({
      name: 'bgnbd_activity',
      description: `BG/NBD on own-activity days: P(no activity within ${days} days)`,
      scores: probNoTransaction(activity.params, set.rowActivity, ACTIVITY_STRIDE, test, days),
    });
  }
  if (purchase !== undefined) {
    const sums = new Float32Array(test.length * PURCHASE_STRIDE);
    test.forEach((r, k) => purchaseSummary(set.x, r * FEATURE_COUNT, sums, k * PURCHASE_STRIDE));
    out.push({
      name: 'bgnbd_purchase',
      // Another event than the label's (activity, cancel): its ranking compares, its Brier score does not.
      description:
        `BG/NBD on purchase days: P(no purchase within ${days} days)` +
        (set.definition.kind === 'no_purchase'
          ? ''
          : ' (another event than the label: compare rankings only)'),
      scores: probNoTransaction(
        purchase.params,
        sums,
        PURCHASE_STRIDE,
        Int32Array.from(test, (_, k) => k),
        days,
      ),
    });
  }
  return out;
}

async function predict(
  model: tf.LayersModel,
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const out = tf.tidy(() => model.predict(tf.tensor2d(x, [rows, cols])) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}
