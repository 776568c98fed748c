import { createRuleEnvironment, isSegmentVariable } from './rule-environment.js';
import { compileExpression } from './compile-expression.js';
import { safeTest } from './change-reasons.js';
import { SegmentRulesError } from './segment-rules-error.js';
import type { SegmentActivation } from './types.js';

/** One customer offered to a dry run: its id and its variables (see `createActivation` / `writeActivation`). */
export interface DryRunRow {
  readonly customerId: string;
  readonly activation: SegmentActivation;
}

/** What a rule would select. */
export interface DryRunResult {
  /** Customers for whom the rule is true. */
  readonly matches: number;
  /** Customers evaluated. */
  readonly evaluated: number;
  /** Up to `sampleSize` matching customer ids, in the order offered. */
  readonly sample: string[];
}

/**
 * Most matching ids a dry run returns, whatever the caller asks: a sample is for a person to look at, and an
 * uncapped one (`sample: 1e9`) would hand every customer id to anyone who may ask for a dry run.
 */
export const MAX_DRY_RUN_SAMPLE = 100;

/**
 * The sample size a dry run uses for `requested`: a whole number from 0, capped at {@link MAX_DRY_RUN_SAMPLE}.
 * @throws SegmentRulesError (`SEGMENTS_INVALID`, key and limit `sample`) when it is not a whole number >= 0
 */
export function dryRunSampleSize(requested: number): number {
  if (typeof requested !== 'number' || !Number.isSafeInteger(requested) || requested < 0) {
    throw new SegmentRulesError(
      `dry run: sample must be a whole number from 0 (at most ${MAX_DRY_RUN_SAMPLE} ids are returned), not ${String(requested)}`,
      '(dry run)',
      'sample',
      undefined,
      undefined,
      { limit: 'sample' },
    );
  }
  return Math.min(requested, MAX_DRY_RUN_SAMPLE);
}

/** A dry-run rule, compiled. */
export interface DryRunPredicate {
  /** True when the rule holds for the activation (a runtime error in the rule counts as false, as in membership). */
  readonly test: (activation: SegmentActivation) => boolean;
  /** The segment variables the rule reads: only these need writing into the activation per customer. */
  readonly variables: readonly string[];
}

/**
 * Compiles a dry-run rule once, under the same limits as the segments file.
 * @throws SegmentRulesError (`SEGMENTS_INVALID`, key `rule`) when the expression is refused
 */
export function compileDryRunRule(rule: string): DryRunPredicate {
  if (typeof rule !== 'string') {
    throw new SegmentRulesError('dry run: the rule must be a string', '(dry run)', 'rule');
  }
  const compiled = compileExpression(createRuleEnvironment(), rule);
  if (!compiled.ok) {
    const { message, identifier, limit } = compiled.problem;
    throw new SegmentRulesError(
      `dry run: ${message}`,
      '(dry run)',
      'rule',
      undefined,
      identifier,
      limit === undefined ? {} : { limit },
    );
  }
  const fn = compiled.expr.fn;
  return {
    test: (activation) => safeTest(fn, activation),
    variables: [...compiled.identifiers].filter(isSegmentVariable),
  };
}

/**
 * Evaluates one CEL expression over customers without touching any membership: "how many would this rule
 * select, and who?". The rows may reuse one activation object (it is read before the next row is pulled).
 * Synchronous: for the engine's customers use its `dryRun`, which runs in time-budgeted slices.
 * @param rule a CEL expression over the segment variables (as `enter`)
 * @param rows the customers
 * @param sampleSize matching ids to return, capped at {@link MAX_DRY_RUN_SAMPLE} @default 10
 * @throws SegmentRulesError (`SEGMENTS_INVALID`, key `rule` or `sample`) when the expression or the sample size
 *   is refused, before any row is read
 */
export function dryRunRule(rule: string, rows: Iterable<DryRunRow>, sampleSize = 10): DryRunResult {
  const wanted = dryRunSampleSize(sampleSize);
  const { test } = compileDryRunRule(rule);
  let matches = 0;
  let evaluated = 0;
  const sample: string[] = [];
  for (const row of rows) {
    evaluated++;
    if (!test(row.activation)) continue;
    matches++;
    if (sample.length < wanted) sample.push(row.customerId);
  }
  return { matches, evaluated, sample };
}
