/**
 * churnflow's public face: the event and score-update contracts, the subject helpers producers and consumers
 * need, and the pieces to embed the engine. Everything else is internal.
 */
export {
  EVENT_TYPES,
  CHANNELS,
  MESSAGE_CHANNELS,
  RATING_RANGES,
  CUSTOM_TYPE_PATTERN,
} from './contract/catalog.js';
export type { CatalogEventType, Channel, MessageChannel } from './contract/catalog.js';
export { CustomerEventSchema, MAX_CUSTOMER_ID_LENGTH } from './contract/event.js';
export type { CustomerEvent } from './contract/event.js';
export { ScoreUpdateSchema, DeadLetterHeaders } from './contract/score-update.js';
export type { ScoreUpdate, DeadLetterHeader } from './contract/score-update.js';
export {
  DEFAULT_EVENT_PREFIX,
  customerToken,
  customerIdFromToken,
  eventSubject,
  parseEventSubject,
} from './contract/subjects.js';
export { DLQ_REASONS, ERROR_CODES, REQUEST_ERRORS, ChurnflowError } from './contract/codes.js';
export type { DlqReason, ErrorCode, RequestErrorCode } from './contract/codes.js';
export { FEATURES, FEATURE_NAMES } from './state/feature-catalog.js';
export type { FeatureDef } from './state/feature-catalog.js';
export { STAGES } from './score/types.js';
export type { Stage } from './score/types.js';
export { loadConfig } from './config/index.js';
export type { Config, ConfigSources } from './config/index.js';
export { startChurnflow } from './cli/start.js';
export type { Churnflow } from './cli/start.js';
export { createSimulator } from './simulate/index.js';
export type { Simulator, SimulatorOptions } from './simulate/index.js';
