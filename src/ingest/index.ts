export type { InboundBatch, InboundMessage } from './types.js';
export {
  ensureEventStream,
  ensureConsumer,
  ensureStream,
  ensureStreamCaptures,
  subjectCovers,
} from './jetstream-setup.js';
export type { EventStreamSpec } from './jetstream-setup.js';
export { jetStreamSource } from './jetstream-source.js';
export type { JetStreamSourceDeps } from './jetstream-source.js';
export { simulatorSource, simulatedEvents, encodeEvents } from './simulator-source.js';
export type { SimulatedStreamOptions } from './simulator-source.js';
export { watchConsumerProgress, judgeProgress, observeProgress } from './consumer-progress.js';
export type {
  ConsumerProgress,
  ConsumerProgressOptions,
  ProgressLimits,
  ProgressReading,
  ProgressState,
} from './consumer-progress.js';
