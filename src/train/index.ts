/**
 * Training: the default churn model from simulated history, through the engine's own feature code.
 */
export {
  NOT_CUSTOMER_ACTIVITY,
  SPLIT_TEST,
  SPLIT_TRAIN,
  SPLIT_VALIDATION,
  buildTrainingSet,
} from './training-set.js';
export type { ChurnDefinition, TrainingSet, TrainingSetOptions } from './training-set.js';
export { NON_NUMERIC_FEATURES, fitModelInputs, modelMatrix } from './normalization.js';
export type { ModelInputs } from './normalization.js';
export { trainChurnMlp } from './mlp.js';
export type { LabelledMatrix, MlpOptions, MlpResult } from './mlp.js';
export { brierScore, logLoss, prAuc, rocAuc } from './metrics.js';
export { trainChurnModel } from './train-churn-model.js';
export type { TrainChurnModelOptions, TrainReport } from './train-churn-model.js';
