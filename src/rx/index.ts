export { coalesceMicroBatches } from './coalesce.js';
export type { CoalesceOptions, KeyedBatch, MicroBatch } from './coalesce.js';
