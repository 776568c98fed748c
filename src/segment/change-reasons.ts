import type { CompiledExpression, SegmentActivation } from './types.js';

/**
 * The reason for a flip decided by `expr` (which was true on `act`): for an `all` expression every clause's
 * source (they all held), for an `any` expression the sources of the clauses that are true. Called only when a
 * membership flips, so evaluating the clauses again costs nothing on the steady-state path.
 */
export function changeReasons(expr: CompiledExpression, act: SegmentActivation): string[] {
  if (expr.mode === 'all') return expr.clauses.map((c) => c.source);
  const out: string[] = [];
  for (const c of expr.clauses) {
    if (safeTest(c.fn, act)) out.push(c.source);
  }
  return out;
}

/**
 * Runs a compiled predicate; a runtime error (e.g. an integer overflow in a rule) or a non-boolean counts as
 * false, so one odd customer never stops the batch.
 */
export function safeTest(fn: (act: SegmentActivation) => unknown, act: SegmentActivation): boolean {
  try {
    return fn(act) === true;
  } catch {
    return false;
  }
}
