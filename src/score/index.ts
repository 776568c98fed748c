/**
 * score: TF.js backend selection, model directories (files + manifest), the churn model, engagement,
 * lifecycle stage, and the micro-batch scorer. Formulas and rules: docs/scoring.md.
 */
export { STAGES } from './types.js';
export type { ChurnModel, ScoredBatch, Scorer, Stage } from './types.js';
export { selectBackend } from './backend.js';
export type { BackendLog, TfBackendName } from './backend.js';
export {
  MODEL_JSON,
  WEIGHTS_BIN,
  loadLayersModelFromDir,
  modelDirHandler,
  saveLayersModelToDir,
} from './model-files.js';
export { MANIFEST_JSON, ModelManifestSchema, checkManifest, readManifest } from './manifest.js';
export type { ModelManifest } from './manifest.js';
export { loadChurnModel } from './churn-model.js';
export type { LoadedChurnModel } from './churn-model.js';
export { ENGAGEMENT_SCALES, ENGAGEMENT_WEIGHTS, engagementScore } from './engagement.js';
export { STAGE_THRESHOLDS, lifecycleStage, lifecycleStageIndex } from './stage.js';
export type { StageThresholds } from './stage.js';
export { createScorer } from './scorer.js';
export type { ScorerDeps } from './scorer.js';
export type { Reason } from './types.js';
export { readModelDir, loadGraphModelFromDir } from './model-files.js';
export type { ModelDirArtifacts } from './model-files.js';
export { normalizeKerasModelJson } from './keras-topology.js';
export { topReasons } from './reasons.js';
export type { ExplainMethod } from './reasons.js';
export { bgnbdExpectedPurchases, bgnbdPAlive } from './bgnbd.js';
export type { BgNbdParams } from './bgnbd.js';
export { admitModel, ModelRefusedError } from './model-gate.js';
export type { ModelGateOptions, RefusalReason } from './model-gate.js';
export { createModelRegistry } from './model-registry.js';
export { compareVersions } from './model-version.js';
export type { ModelChange, ModelRegistry, RegistryStatus, RollbackResult } from './model-registry.js';
export { createShadowScorer } from './shadow.js';
export type { ShadowOutcome, ShadowScorer, ShadowStats } from './shadow.js';
export { bgnbdColumns } from './bgnbd-columns.js';
export type { BaselineColumns, BaselineHorizon } from './bgnbd-columns.js';
