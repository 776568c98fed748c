import { STAGES } from '../contract/stages.js';
import { FEATURE_COUNT, featureIndex } from '../state/feature-catalog.js';
import { SEGMENT_VARIABLES } from './rule-environment.js';
import type { SegmentActivation, SegmentScores } from './types.js';

/**
 * Creates the one activation object a batch's rows are written into. All variables are present from the
 * start, in a fixed order, so the object keeps one V8 hidden class and the CEL evaluator's property loads stay
 * monomorphic; numbers start at 0, `stage` at the first stage, the BG/NBD variables at NaN (absent).
 */
export function createActivation(): SegmentActivation {
  const act: SegmentActivation = {};
  for (const name of SEGMENT_VARIABLES) act[name] = 0;
  act.stage = STAGES[0];
  act.pAlive = Number.NaN;
  act.expectedPurchases = Number.NaN;
  act.predictedClv = Number.NaN;
  return act;
}

/**
 * Writes row `row` of a batch into `act`, touching only `variables` (the ones some rule reads), so a pack that
 * reads 20 of 50 features costs 20 stores per row. No allocation. Absent BG/NBD columns write NaN (every
 * comparison with NaN is false).
 * @param features rows x FEATURE_COUNT values, FEATURES order
 */
export function writeActivation(
  act: SegmentActivation,
  plan: ActivationPlan,
  features: Float32Array,
  scores: SegmentScores,
  row: number,
): void {
  const base = row * FEATURE_COUNT;
  const { names, columns } = plan;
  for (let i = 0; i < names.length; i++) {
    const col = columns[i] as number;
    const name = names[i] as string;
    if (col >= 0) act[name] = features[base + col] as number;
    else if (col === SCORE_RISK) act[name] = scores.churnRisk[row] as number;
    else if (col === SCORE_ENGAGEMENT) act[name] = scores.engagement[row] as number;
    else if (col === SCORE_STAGE) act[name] = STAGES[scores.stage[row] as number] ?? 'unknown';
    else if (col === SCORE_PALIVE) act[name] = scores.pAlive?.[row] ?? Number.NaN;
    else if (col === SCORE_EXPECTED) act[name] = scores.expectedPurchases?.[row] ?? Number.NaN;
    else act[name] = scores.predictedClv?.[row] ?? Number.NaN;
  }
}

const SCORE_RISK = -1;
const SCORE_ENGAGEMENT = -2;
const SCORE_STAGE = -3;
const SCORE_PALIVE = -4;
const SCORE_EXPECTED = -5;
const SCORE_CLV = -6;
const SCORE_COLUMNS: Readonly<Record<string, number>> = {
  churnRisk: SCORE_RISK,
  engagement: SCORE_ENGAGEMENT,
  stage: SCORE_STAGE,
  pAlive: SCORE_PALIVE,
  expectedPurchases: SCORE_EXPECTED,
  predictedClv: SCORE_CLV,
};

/** Which variables to write per row and where each comes from (feature column >= 0, or a score code < 0). */
export interface ActivationPlan {
  readonly names: readonly string[];
  readonly columns: Int32Array;
}

/** Plans the per-row writes for the variables a rule set reads (computed once per rule set). */
export function planActivation(variables: readonly string[]): ActivationPlan {
  const columns = new Int32Array(variables.length);
  variables.forEach((name, i) => {
    const f = featureIndex(name);
    columns[i] = f >= 0 ? f : (SCORE_COLUMNS[name] ?? SCORE_CLV);
  });
  return { names: variables, columns };
}
