/**
 * Training: a churn model and its BG/NBD baseline from event history (simulator, event file or stream range),
 * through the engine's own feature code.
 */
export { NOT_CUSTOMER_ACTIVITY, TrainingSetBuilder } from './training-set.js';
export { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VALIDATION, customerSplit } from './customer-split.js';
export type { ChurnDefinition, TrainingSet, TrainingSetOptions } from './training-set.js';
export { CutoffPlan } from './cutoff-plan.js';
export type { CutoffOptions } from './cutoff-plan.js';
export { decodeInto, fileTrainingSource, simulatorTrainingSource } from './training-source.js';
export type {
  FileTrainingSourceOptions,
  ReplayBatch,
  ReplayStats,
  TrainingSource,
} from './training-source.js';
export { natsTrainingSource, parseStreamBound } from './nats-training-source.js';
export type { NatsTrainingSourceOptions } from './nats-training-source.js';
export { replayTrainingSet } from './replay-training-set.js';
export type { ReplayProgress } from './replay-training-set.js';
export { NON_NUMERIC_FEATURES, fitModelInputs, modelMatrix } from './normalization.js';
export type { ModelInputs } from './normalization.js';
export { trainChurnMlp } from './mlp.js';
export type { LabelledMatrix, MlpOptions, MlpResult } from './mlp.js';
export { brierScore, logLoss, prAuc, rocAuc } from './metrics.js';
export { calibrationTable, evaluateHoldout, predictorMetrics } from './evaluation.js';
export type { CalibrationBin, Evaluation } from './evaluation.js';
export {
  BGNBD_TIME_UNIT_DAYS,
  fitBgNbdBaseline,
  fitSpendBaseline,
  probNoTransaction,
  rfmColumns,
} from './bgnbd-baseline.js';
export type { BgNbdBaseline, RfmColumns, SpendBaseline } from './bgnbd-baseline.js';
export { bootstrapDifferences } from './bootstrap.js';
export type { BootstrapOptions, Interval, MetricDifferences } from './bootstrap.js';
export { compareOnRows } from './holdout-comparison.js';
export type { HoldoutComparison, ScoredBaseline } from './holdout-comparison.js';
export { metricsTable, modelReport } from './model-report.js';
export type { ModelReportFacts } from './model-report.js';
export { nextModelVersion } from './next-version.js';
export { REPORT_MD, trainChurnModel } from './train-churn-model.js';
export type { TrainChurnModelOptions, TrainReport } from './train-churn-model.js';
