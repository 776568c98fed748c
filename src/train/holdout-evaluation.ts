/**
 * The manifest's evaluation of a run: the model's metrics and calibration on the held-out rows, its primary
 * baseline, and the comparisons with every baseline (intervals by customer) on all held-out rows and on the
 * customers still active at the cut-off, where a prediction can still change something.
 */
import { FEATURE_COUNT } from '../state/feature-catalog.js';
import { evaluateHoldout, type Evaluation } from './evaluation.js';
import type { FitRun } from './fit-run.js';
import { compareOnRows, type ComparisonRows, type HoldoutComparison } from './holdout-comparison.js';
import type { TrainingSet } from './training-set.js';

/** How the holdout is compared. */
export interface ComparisonOptions {
  /** The active subset: own activity within this many days before the cut-off. @default 7 */
  readonly activeSubsetDays?: number;
  /** Bootstrap resamples. @default 1000 */
  readonly replicates?: number;
  /** Bootstrap seed (not the split's). @default 7 */
  readonly bootstrapSeed?: number;
}

/** The comparisons of a run on its test rows: all of them, and the active ones. */
export function compareRun(
  set: TrainingSet,
  run: FitRun,
  test: Int32Array,
  opts: ComparisonOptions = {},
): { all: HoldoutComparison; active: HoldoutComparison } {
  const rows = testRows(set, test);
  const activeDays = opts.activeSubsetDays ?? 7;
  const every = Int32Array.from(test, (_, k) => k);
  const active = every.filter((k) => set.ownRecencyDays[test[k]!]! <= activeDays);
  const boot = { replicates: opts.replicates ?? 1000, seed: opts.bootstrapSeed ?? 7 };
  return {
    all: compareOnRows(run.testProbs, run.baselines, { ...rows, positions: every }, boot),
    active: compareOnRows(run.testProbs, run.baselines, { ...rows, positions: active }, boot),
  };
}

/** The manifest's `evaluation` block of the shipped run, with an optional out-of-time comparison. */
export function runEvaluation(
  set: TrainingSet,
  run: FitRun,
  test: Int32Array,
  opts: ComparisonOptions & { readonly outOfTime?: { comparison: HoldoutComparison; description: string } },
): Evaluation {
  const labels = Uint8Array.from(test, (r) => set.y[r]!);
  const primary = run.baselines[0];
  const base = evaluateHoldout(run.testProbs, primary?.scores, labels, primary?.name);
  const { all, active } = compareRun(set, run, test, opts);
  return {
    ...base,
    comparisons: { all, active, ...(opts.outOfTime ? { outOfTime: opts.outOfTime.comparison } : {}) },
    protocol: {
      activeWithinDays: opts.activeSubsetDays ?? 7,
      replicates: opts.replicates ?? 1000,
      seed: opts.bootstrapSeed ?? 7,
      level: 0.95,
      ...(opts.outOfTime ? { outOfTime: opts.outOfTime.description } : {}),
    },
  };
}

/** Labels, customers and feature vectors of the test rows, by test position. */
function testRows(set: TrainingSet, test: Int32Array): Omit<ComparisonRows, 'positions'> {
  const features = new Float32Array(test.length * FEATURE_COUNT);
  test.forEach((r, k) =>
    features.set(set.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), k * FEATURE_COUNT),
  );
  return {
    labels: Uint8Array.from(test, (r) => set.y[r]!),
    customer: Int32Array.from(test, (r) => set.customer[r]!),
    features,
  };
}
