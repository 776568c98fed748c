export { createPartitionHost } from './partition-host.js';
export type { HostDeps, PartitionHost } from './partition-host.js';
export type { EngineGroup, GroupTotals } from './engine-group.js';
export type { PartitionInput, PartitionWorker, WorkerContext } from './partition-worker.js';
export type { PartitionMetrics } from './partition-gauges.js';
export { mergeAggregates, mergeDryRuns, mergeSegments } from './merge.js';
export { instanceParts } from './instance-parts.js';
export type { InstanceParts, InstancePartsDeps } from './instance-parts.js';
