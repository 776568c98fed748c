/**
 * The simulator: deterministic customer traffic with ground-truth churn, for training history, demos and load.
 */
export { createSimulator } from './simulator.js';
export type { Simulator, SimulatorOptions } from './simulator.js';
export { liveTraffic } from './live-traffic.js';
export type { LiveTrafficOptions } from './live-traffic.js';
export { ARCHETYPES, ARCHETYPE_PARAMS } from './archetypes.js';
export type { Archetype, ArchetypeParams } from './archetypes.js';
export { DAY_MS } from './profiles.js';
export type { ProfileOptions } from './profiles.js';
export type { ChurnEpisode, GroundTruth } from './ground-truth.js';
