export { drainInBatches } from './drain-batches.js';
export type { BatchQueue, DrainOptions } from './drain-batches.js';
export { createFlowGate } from './flow-gate.js';
export type { FlowGate } from './flow-gate.js';
export { fromIterableGated } from './gated-iterable.js';
