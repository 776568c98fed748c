export { createScoreChanges } from './score-changes.js';
export type { ScoreChanges, ScoreDeltas } from './score-changes.js';
export { changedScoreUpdates } from './score-updates.js';
export type { ScoredColumns, UpdateContext } from './score-updates.js';
export type { OutputSink, ShadowScore } from './sink.js';
export { natsSink } from './nats-sink.js';
export type { NatsSinkOptions } from './nats-sink.js';
export { fileSink, consoleSink } from './stream-sinks.js';
export type { ConsoleSinkOptions } from './stream-sinks.js';
