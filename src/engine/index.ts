export { startEngine } from './engine.js';
export type { CustomerProfile, Engine, EngineDeps, EngineState } from './types.js';
export { RISK_BANDS } from './aggregates.js';
export type { Aggregates } from './aggregates.js';
export type { SegmentSummary } from './customer-lifecycle.js';
export type { IngestTotals } from './apply-stage.js';
