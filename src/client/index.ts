// churnflow/client: what a service consuming churnflow's outputs needs, and nothing of the engine. Everything here
// imports only src/contract, msgpackr, TypeBox and the NATS client: never TF.js, prom-client or pino (a test in
// test/client/import-cost.test.ts checks what importing it loads).
export { ScoreUpdateSchema } from '../contract/score-update.js';
export type { ScoreUpdate } from '../contract/score-update.js';
export { SegmentChangeSchema, StageTransitionSchema } from '../contract/lifecycle-events.js';
export type { SegmentChange, StageTransition } from '../contract/lifecycle-events.js';
export { CustomerEventSchema } from '../contract/event.js';
export type { CustomerEvent } from '../contract/event.js';
export { STAGES } from '../contract/stages.js';
export type { Stage } from '../contract/stages.js';
export { REQUEST_ERRORS } from '../contract/codes.js';
export type { RequestErrorCode } from '../contract/codes.js';
export { customerToken, customerIdFromToken } from '../contract/subjects.js';
export {
  DEFAULT_PREFIX,
  REQUEST_ENDPOINTS,
  requestSubject,
  scoreSubject,
  segmentSubject,
  stageSubject,
} from './subjects.js';
export type { RequestEndpoint } from './subjects.js';
export {
  AggregatesSchema,
  CustomerProfileSchema,
  DryRunResultSchema,
  EraseResultSchema,
  ModelStatusSchema,
  RollbackResultSchema,
  ScoreTombstoneSchema,
  SegmentListSchema,
  SegmentSummarySchema,
  UnpinResultSchema,
} from './responses.js';
export type {
  Aggregates,
  CustomerProfile,
  DryRunResult,
  EraseResult,
  ModelStatus,
  RollbackResult,
  ScoreTombstone,
  SegmentSummary,
  UnpinResult,
} from './responses.js';
export { contentTypeOf, decodePayload, encodePayload, encodingOf, sniffEncoding } from './codec.js';
export type { Decoded, Encoding } from './codec.js';
export { createSeqTracker, DEFAULT_MAX_TRACKED_CUSTOMERS } from './seq-tracker.js';
export type { SeqTracker } from './seq-tracker.js';
export { subscribeScores } from './subscribe.js';
export type {
  DropReason,
  DroppedMessage,
  ScoreSubscription,
  ScoreSubscriptionStats,
  SubscribeScoresOptions,
} from './subscribe.js';
export {
  dryRunSegment,
  eraseCustomer,
  getAggregates,
  getCustomer,
  listSegments,
  modelStatus,
  rollbackModel,
  unpinModel,
} from './requests.js';
export type { RequestOptions } from './requests.js';
export { ChurnflowRequestError } from './errors.js';
export type { ClientErrorCode } from './errors.js';
