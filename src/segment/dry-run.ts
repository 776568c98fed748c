import { createRuleEnvironment } from './rule-environment.js';
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
 * Evaluates one CEL expression over customers without touching any membership: "how many would this rule
 * select, and who?". The rows may reuse one activation object (it is read before the next row is pulled).
 * @param rule a CEL expression over the segment variables (as `enter`)
 * @param rows the customers, usually every customer the engine holds
 * @param sampleSize matching ids to return @default 10
 * @throws SegmentRulesError (`SEGMENTS_INVALID`, key `rule`) when the expression is refused, before any row is read
 */
export function dryRunRule(rule: string, rows: Iterable<DryRunRow>, sampleSize = 10): DryRunResult {
  const compiled = compileExpression(createRuleEnvironment(), rule);
  if (!compiled.ok) {
    throw new SegmentRulesError(
      `dry run: ${compiled.problem.message}`,
      '(dry run)',
      'rule',
      undefined,
      compiled.problem.identifier,
    );
  }
  const fn = compiled.expr.fn;
  let matches = 0;
  let evaluated = 0;
  const sample: string[] = [];
  for (const row of rows) {
    evaluated++;
    if (!safeTest(fn, row.activation)) continue;
    matches++;
    if (sample.length < sampleSize) sample.push(row.customerId);
  }
  return { matches, evaluated, sample };
}
