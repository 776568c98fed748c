export { startEngine } from './engine.js';
export type { Engine, EngineDeps, EngineState } from './engine.js';
export type { IngestTotals } from './apply-stage.js';
