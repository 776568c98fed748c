import { serialize, type ASTNode, type Environment } from '@marcbachmann/cel-js';
import { compileFastRule } from './fast-rule.js';
import { patternProblem, REGEX_METHODS, useRe2 } from './re2-matches.js';
import { measureRule, type RuleMeasure } from './rule-cost.js';
import { STRING_VARIABLE_LENGTHS, VARIABLE_TYPES } from './rule-environment.js';
import { RULE_LIMITS } from './rule-limits.js';
import type { ClauseMode, CompiledExpression, RuleFunction } from './types.js';

/** Why an expression was refused: a value, so the caller can name the rule and the key. */
export interface ExpressionProblem {
  /** Human-readable, first line of the library's message plus what we know. */
  readonly message: string;
  /** The unknown identifier, when that is the fault. */
  readonly identifier?: string;
  /** The {@link RULE_LIMITS} key the expression exceeds, when that is the fault. */
  readonly limit?: keyof typeof RULE_LIMITS;
}

/** A compiled expression, or why not. */
export type ExpressionResult =
  | {
      readonly ok: true;
      readonly expr: CompiledExpression;
      readonly identifiers: ReadonlySet<string>;
      /** Estimated cost of one evaluation (rule-cost.ts units). */
      readonly cost: number;
    }
  | { readonly ok: false; readonly problem: ExpressionProblem };

const firstLine = (s: string): string => s.split('\n')[0] ?? s;
const n = (x: number): string => x.toLocaleString('en');

/**
 * Checks `source` against {@link RULE_LIMITS} (size, AST nodes and depth, comprehension nesting, estimated cost,
 * `matches` patterns), type-checks it in `env` (must be `bool`), compiles it once with `matches` on RE2, and splits
 * its top-level `&&` / `||` chain into clauses compiled on their own (for change reasons). With `negate`, compiles
 * `!(source)` and its clauses as `!(clause)` under the dual mode (De Morgan), for a rule's default exit. The one
 * place every rule is bounded: the segments file and dry runs both compile here.
 */
export function compileExpression(env: Environment, source: string, negate = false): ExpressionResult {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > RULE_LIMITS.maxSourceBytes) {
    return over('maxSourceBytes', `the expression is ${n(bytes)} bytes long`);
  }
  const checked = env.check(source);
  if (!checked.valid) return { ok: false, problem: checkProblem(checked.error) };
  if (checked.type !== 'bool') {
    return { ok: false, problem: { message: `the expression is of type ${checked.type ?? '?'}, not bool` } };
  }
  const parsed = env.parse(source);
  const measure = measureRule(parsed.ast, STRING_VARIABLE_LENGTHS, REGEX_METHODS);
  const refused = limitProblem(measure);
  if (refused !== undefined) return { ok: false, problem: refused };
  const identifiers = new Set<string>();
  collectIdentifiers(parsed.ast, identifiers);
  const { mode, parts } = splitClauses(env, parsed.ast, source);
  const finalMode: ClauseMode = negate ? (mode === 'all' ? 'any' : 'all') : mode;
  const full = negate ? `!(${source})` : source;
  try {
    const clauses = parts.map((text) => {
      const clauseSource = negate ? `!(${text})` : text;
      return { source: clauseSource, fn: runnable(env, clauseSource) };
    });
    return {
      ok: true,
      expr: { source: full, fn: runnable(env, full), mode: finalMode, clauses, negated: negate },
      identifiers,
      cost: measure.cost,
    };
  } catch (err) {
    // Not expected (the source passed the same checks above); refused rather than thrown all the same.
    return { ok: false, problem: checkProblem(err as Parameters<typeof checkProblem>[0]) };
  }
}

const over = (limit: keyof typeof RULE_LIMITS, what: string): ExpressionResult => ({
  ok: false,
  problem: { message: `${what}; the limit is ${n(RULE_LIMITS[limit])} (${limit})`, limit },
});

/** The first limit a measured rule exceeds, or a refused `matches` pattern; undefined when within all. */
function limitProblem(m: RuleMeasure): ExpressionProblem | undefined {
  const checks: [keyof typeof RULE_LIMITS, number, string][] = [
    ['maxAstNodes', m.nodes, `the expression has ${n(m.nodes)} AST nodes`],
    ['maxDepth', m.depth, `the expression is nested ${n(m.depth)} deep`],
    [
      'maxComprehensionNesting',
      m.comprehensionNesting,
      `comprehensions are nested ${m.comprehensionNesting} deep`,
    ],
    ['maxCost', m.cost, `the estimated evaluation cost is ${n(m.cost)}`],
  ];
  for (const [limit, value, what] of checks) {
    if (value > RULE_LIMITS[limit]) {
      const refused = over(limit, what);
      if (!refused.ok) return refused.problem;
    }
  }
  for (const call of m.regexCalls) {
    const why = patternProblem(call.pattern);
    if (why !== undefined) return { message: why, limit: 'maxPatternLength' };
  }
  return undefined;
}

/** A refusal from `env.check`: unknown identifier, a parser limit, a syntax or a type error. */
function checkProblem(err: { name?: string; code?: string; message?: string; node?: unknown } | undefined) {
  const node = err?.node as { op?: string; args?: unknown } | undefined;
  if (err?.code === 'unknown_variable' && node?.op === 'id' && typeof node.args === 'string') {
    return {
      message: `unknown identifier "${node.args}" (not an engine feature nor a score variable)`,
      identifier: node.args,
    };
  }
  const hit = err?.code === 'limit_exceeded' ? /Exceeded (\w+) \((\d+)\)/.exec(err.message ?? '') : null;
  if (hit !== null) {
    const [, key, value] = hit;
    const what = key === 'maxAstNodes' ? 'AST nodes' : key === 'maxDepth' ? 'levels of nesting' : 'elements';
    const limit = key === 'maxDepth' ? 'maxDepth' : key === 'maxAstNodes' ? 'maxAstNodes' : 'maxListElements';
    return {
      message: `the expression has more than ${value ?? '?'} ${what}; the limit is ${n(RULE_LIMITS[limit])} (${limit})`,
      limit,
    } satisfies ExpressionProblem;
  }
  const kind = err?.name === 'ParseError' ? 'syntax error' : 'type error';
  return { message: `${kind}: ${firstLine(err?.message ?? 'invalid expression')}` };
}

/**
 * The evaluable form of a source already checked: parsed afresh, its `matches` calls pointed at RE2, then
 * type-checked (which binds each call to its implementation, so the rename must come first); a plain closure
 * when the rule is within fast-rule.ts's subset, else cel-js's evaluator.
 */
function runnable(env: Environment, source: string): RuleFunction {
  const fn = env.parse(source);
  useRe2(measureRule(fn.ast, STRING_VARIABLE_LENGTHS, REGEX_METHODS).regexCalls);
  const checked = fn.check();
  if (!checked.valid) throw checked.error ?? new Error('invalid expression');
  const fast = compileFastRule(fn.ast, VARIABLE_TYPES);
  return fast === undefined ? fn : Object.assign(fast, { ast: fn.ast });
}

/** The top-level clauses: `a && b && c` -> all of [a, b, c]; `a || b` -> any of [a, b]; else [expr]. */
function splitClauses(env: Environment, ast: ASTNode, source: string): { mode: ClauseMode; parts: string[] } {
  if (ast.op !== '&&' && ast.op !== '||') return { mode: 'all', parts: [source.trim()] };
  const op = ast.op;
  const parts: string[] = [];
  const walk = (n: ASTNode): void => {
    if (n.op === op) {
      walk(n.args[0]);
      walk(n.args[1]);
    } else parts.push(text(env, n));
  };
  walk(ast);
  return { mode: op === '&&' ? 'all' : 'any', parts };
}

/**
 * A clause's source text as written. The parser's ranges can stop short of a closing parenthesis (seen with
 * `-(...)`), so a slice that does not check is replaced by the library's canonical serialisation.
 */
function text(env: Environment, n: ASTNode): string {
  const slice = n.input.slice(n.range.start, n.range.end).trim();
  return env.check(slice).valid ? slice : serialize(n);
}

/** Every `id` node's name (macro loop variables included; callers intersect with the known variables). */
function collectIdentifiers(n: ASTNode, out: Set<string>): void {
  if (n.op === 'id') {
    out.add(n.args);
    return;
  }
  const args: unknown = n.args;
  if (!Array.isArray(args)) {
    if (isNode(args)) collectIdentifiers(args, out);
    return;
  }
  for (const a of args) {
    if (isNode(a)) collectIdentifiers(a, out);
    else if (Array.isArray(a)) for (const b of a) if (isNode(b)) collectIdentifiers(b, out);
  }
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'range' in x;
}
