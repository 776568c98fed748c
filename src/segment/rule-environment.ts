import { Environment } from '@marcbachmann/cel-js';
import { FEATURE_NAMES } from '../state/feature-catalog.js';
import { registerRe2Matches } from './re2-matches.js';
import { RULE_LIMITS, STAGE_MAX_LENGTH } from './rule-limits.js';

/** Score variables a rule may read besides the features: name -> CEL type. */
export const SCORE_VARIABLES: Readonly<Record<string, 'double' | 'string'>> = {
  churnRisk: 'double',
  engagement: 'double',
  stage: 'string',
  pAlive: 'double',
  expectedPurchases: 'double',
  predictedClv: 'double',
};

/** The BG/NBD variables: absent when the model has no BG/NBD parameters (a rule reading them then holds still). */
export const BASELINE_VARIABLES: readonly string[] = ['pAlive', 'expectedPurchases', 'predictedClv'];

/** The string variables and their longest value: what the cost estimator assumes for their length. */
export const STRING_VARIABLE_LENGTHS: ReadonlyMap<string, number> = new Map([['stage', STAGE_MAX_LENGTH]]);

/** Every variable a segment rule may read: each engine feature (FEATURES order), then the score variables. */
export const SEGMENT_VARIABLES: readonly string[] = [...FEATURE_NAMES, ...Object.keys(SCORE_VARIABLES)];

const known = new Set(SEGMENT_VARIABLES);

/** The declared CEL type of every variable ('double' or 'string'). */
export const VARIABLE_TYPES: ReadonlyMap<string, string> = new Map<string, string>([
  ...FEATURE_NAMES.map((name): [string, string] => [name, 'double']),
  ...Object.entries(SCORE_VARIABLES),
]);

/** True when `name` is a variable rules may read. */
export function isSegmentVariable(name: string): boolean {
  return known.has(name);
}

/**
 * The CEL environment every rule is checked and compiled in: features and numeric scores are `double`,
 * `stage` is a `string`. Undeclared identifiers are refused (no `dyn` fallback), so a typo is a load error.
 * Mixed int/double arithmetic and equality are allowed (`purchases_90d == 1`, `revenue_90d / 3`): CEL leaves
 * them undefined, and a retention analyst should not have to write `1.0`. The parser's limits are backstops
 * (compileExpression measures and refuses against RULE_LIMITS, naming the value); `matchesRe2` is `matches` on
 * RE2, which compileExpression substitutes for the backtracking built-in.
 */
export function createRuleEnvironment(): Environment {
  const env = new Environment({
    unlistedVariablesAreDyn: false,
    limits: {
      // Four times the node limit, so a rule over it is measured (and its count reported) before refusal.
      maxAstNodes: RULE_LIMITS.maxAstNodes * 4,
      maxDepth: RULE_LIMITS.maxDepth,
      maxListElements: RULE_LIMITS.maxListElements,
      maxMapEntries: RULE_LIMITS.maxListElements,
      maxCallArguments: 8,
    },
  });
  registerRe2Matches(env);
  for (const name of FEATURE_NAMES) env.registerVariable(name, 'double');
  for (const [name, type] of Object.entries(SCORE_VARIABLES)) env.registerVariable(name, type);
  // CEL ints arrive as bigint; features are plain numbers. Every mixed operation yields a double: cel-js types an
  // operator without a declared result as its left operand, so `1 * x` was an int holding a number, and
  // `1 * x == 0` compared 0n with 0 and was false.
  env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b));
  env.registerOperator('double + int', (a: number, b: bigint) => a + Number(b));
  env.registerOperator('int + double: double', (a: bigint, b: number) => Number(a) + b);
  env.registerOperator('double - int', (a: number, b: bigint) => a - Number(b));
  env.registerOperator('int - double: double', (a: bigint, b: number) => Number(a) - b);
  env.registerOperator('double * int', (a: number, b: bigint) => a * Number(b));
  env.registerOperator('int * double: double', (a: bigint, b: number) => Number(a) * b);
  env.registerOperator('double / int', (a: number, b: bigint) => a / Number(b));
  env.registerOperator('int / double: double', (a: bigint, b: number) => Number(a) / b);
  return env;
}
