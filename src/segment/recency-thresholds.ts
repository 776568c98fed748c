import type { ASTNode } from '@marcbachmann/cel-js';
import type { CompiledExpression, SegmentRuleSet } from './types.js';

/** A recency threshold in a rule: the rule may flip when `feature` crosses `days`. */
export interface RecencyThreshold {
  /** A clock feature: `days_since_*` or `tenure_days` (grows by one per day of silence). */
  readonly feature: string;
  /** The constant it is compared with, days (fractional). */
  readonly days: number;
}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);

/**
 * Every comparison, in any enter or exit expression, between a clock feature (`days_since_*`, `tenure_days`) and a numeric constant
 * (literals and constant arithmetic such as `1.0/24.0` are folded), deduplicated, sorted by feature then days.
 * A timer can then schedule "this rule may flip at lastTime + days" for a silent customer.
 */
export function recencyThresholds(ruleSet: SegmentRuleSet): RecencyThreshold[] {
  const seen = new Map<string, RecencyThreshold>();
  const visit = (expr: CompiledExpression): void => {
    walk(expr.fn.ast, (n) => {
      if (!COMPARISONS.has(n.op)) return;
      const [a, b] = n.args as [ASTNode, ASTNode];
      for (const [id, k] of [
        [a, b],
        [b, a],
      ] as const) {
        if (id.op !== 'id' || !isClock(id.args)) continue;
        const days = fold(k);
        if (days === undefined || !Number.isFinite(days)) continue;
        seen.set(`${id.args}:${days}`, { feature: id.args, days });
      }
    });
  };
  for (const rule of ruleSet.rules) {
    visit(rule.enter);
    visit(rule.exit);
  }
  return [...seen.values()].sort((x, y) => x.feature.localeCompare(y.feature) || x.days - y.days);
}

/** The value of a constant numeric expression, or undefined when it reads a variable or is not numeric. */
function fold(n: ASTNode): number | undefined {
  switch (n.op) {
    case 'value':
      return typeof n.args === 'number' || typeof n.args === 'bigint' ? Number(n.args) : undefined;
    case '-_': {
      const v = fold(n.args);
      return v === undefined ? undefined : -v;
    }
    case '+':
    case '-':
    case '*':
    case '/': {
      const l = fold(n.args[0]);
      const r = fold(n.args[1]);
      if (l === undefined || r === undefined) return undefined;
      if (n.op === '+') return l + r;
      if (n.op === '-') return l - r;
      if (n.op === '*') return l * r;
      return l / r;
    }
    default:
      return undefined;
  }
}

function walk(n: ASTNode, f: (n: ASTNode) => void): void {
  f(n);
  const args: unknown = n.args;
  const list: unknown[] = Array.isArray(args) ? args : [args];
  for (const a of list) {
    if (isNode(a)) walk(a, f);
    else if (Array.isArray(a)) for (const b of a) if (isNode(b)) walk(b, f);
  }
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'range' in x;
}

/** Features that grow by one per day of event time while a customer is silent. */
function isClock(name: string): boolean {
  return name.startsWith('days_since_') || name === 'tenure_days';
}
