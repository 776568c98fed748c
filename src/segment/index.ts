/** The segment stage: rule segments over features and scores, with hysteresis, dwell and change events. */
export { compileSegmentRules, MAX_SEGMENTS, SEGMENT_NAME } from './compile-rules.js';
export { loadSegmentRules, DEFAULT_SEGMENTS_FILE } from './load-rules.js';
export { watchSegmentRules } from './watch-rules.js';
export type { WatchSegmentRulesOptions, SegmentRulesWatch } from './watch-rules.js';
export { SegmentRulesError } from './segment-rules-error.js';
export { createSegmentMembership } from './membership.js';
export type { SegmentMembership } from './membership.js';
export { createActivation, planActivation, writeActivation } from './activation.js';
export type { ActivationPlan } from './activation.js';
export { compileDryRunRule, dryRunRule, dryRunSampleSize, MAX_DRY_RUN_SAMPLE } from './dry-run.js';
export { RULE_LIMITS } from './rule-limits.js';
export type { DryRunPredicate, DryRunRow, DryRunResult } from './dry-run.js';
export { recencyThresholds } from './recency-thresholds.js';
export type { RecencyThreshold } from './recency-thresholds.js';
export {
  SEGMENT_VARIABLES,
  SCORE_VARIABLES,
  BASELINE_VARIABLES,
  createRuleEnvironment,
} from './rule-environment.js';
export type {
  SegmentRuleSpec,
  SegmentRuleSet,
  CompiledSegmentRule,
  CompiledExpression,
  ClauseMode,
  SegmentChange,
  SegmentScores,
  SegmentActivation,
} from './types.js';
