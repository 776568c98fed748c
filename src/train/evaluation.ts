/**
 * The holdout evaluation a model manifest records: the model's and the baseline's ranking and calibration
 * metrics on the same held-out rows, and the model's calibration table.
 */
import type { ModelManifest } from '../score/manifest.js';
import { brierScore, prAuc, rocAuc } from './metrics.js';

/** The manifest's `evaluation` block. */
export type Evaluation = NonNullable<ModelManifest['evaluation']>;

/** One bin of a calibration table. */
export type CalibrationBin = Evaluation['calibration'][number];

/**
 * Calibration of probabilities against 0/1 labels in `bins` equal-width bins over [0, 1] (a probability of
 * exactly 1 falls in the last bin). Every row lands in one bin, so the counts sum to the row count. An empty
 * bin reports meanPredicted and observedRate 0.
 */
export function calibrationTable(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
): CalibrationBin[] {
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1, Math.max(0, probs[i]!));
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]!++;
    sumP[b] = sumP[b]! + p;
    sumY[b] = sumY[b]! + labels[i]!;
  }
  return Array.from({ length: bins }, (_, b) => {
    const n = count[b]!;
    return {
      from: round(b / bins),
      to: round((b + 1) / bins),
      count: n,
      meanPredicted: n === 0 ? 0 : round(sumP[b]! / n),
      observedRate: n === 0 ? 0 : round(sumY[b]! / n),
    };
  });
}

/** ROC-AUC, PR-AUC and Brier score of one predictor, named. NaN metrics (one class absent) become 0. */
export function predictorMetrics(
  name: string,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): Evaluation['model'] {
  const finite = (v: number): number => (Number.isFinite(v) ? round(v) : 0);
  return {
    name,
    rocAuc: finite(rocAuc(scores, labels)),
    prAuc: finite(prAuc(scores, labels)),
    brier: finite(brierScore(scores, labels)),
  };
}

/** The evaluation block: the model against the baseline on the same held-out rows. */
export function evaluateHoldout(
  modelProbs: ArrayLike<number>,
  baselineScores: ArrayLike<number> | undefined,
  labels: ArrayLike<number>,
  baselineName = 'bgnbd',
): Evaluation {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  return {
    holdoutRows: labels.length,
    positiveRate: labels.length === 0 ? 0 : round(positives / labels.length),
    model: predictorMetrics('model', modelProbs, labels),
    ...(baselineScores === undefined
      ? {}
      : { baseline: predictorMetrics(baselineName, baselineScores, labels) }),
    calibration: calibrationTable(modelProbs, labels),
  };
}

/** Six decimals: enough for any metric, stable across platforms' last-bit differences. */
export function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
