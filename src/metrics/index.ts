export { createEngineMetrics } from './engine-metrics.js';
export type { EngineMetrics } from './engine-metrics.js';
export { startOpsServer } from './http.js';
export type { HealthSource, OpsServer } from './http.js';
