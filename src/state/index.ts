/** The customer-state stage: per-customer rolling features in event time. */
export {
  createCustomerStore,
  DEFAULT_HORIZON_DAYS,
  DEFAULT_INITIAL_CAPACITY,
  ACCEPTED,
  DUPLICATE,
  REJECTED,
} from './customer-store.js';
export { RECENCY_CAP_DAYS, TENURE_CAP_DAYS } from './compute-features.js';
export { FEATURES, FEATURE_NAMES, FEATURE_COUNT, featureIndex } from './feature-catalog.js';
export type { FeatureDef } from './feature-catalog.js';
export {
  DAY_MS,
  DAY_LEVEL,
  FIVE_DAY_LEVEL,
  FIFTEEN_DAY_LEVEL,
  WINDOW_1D,
  WINDOW_7D,
  WINDOW_30D,
  WINDOW_90D,
  windowStartMs,
} from './windows.js';
export type { LevelSpec, WindowSpec } from './windows.js';
export type { ApplyResult, CustomerStore, CustomerStoreOptions } from './types.js';
