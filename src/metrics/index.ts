export { createEngineMetrics } from './engine-metrics.js';
export type { EngineMetrics } from './engine-metrics.js';
export { startOpsServer } from './http.js';
export type { HealthSource, OpsServer } from './http.js';
export { createModelMetrics } from './model-metrics.js';
export type { ModelMetrics, ModelRole } from './model-metrics.js';
export { createReadiness, readinessReport } from './readiness.js';
export type { NotReady, Readiness, ReadinessReport } from './readiness.js';
