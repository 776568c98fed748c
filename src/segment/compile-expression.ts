import { serialize, type ASTNode, type Environment, type ParseResult } from '@marcbachmann/cel-js';
import type { ClauseMode, CompiledExpression } from './types.js';

/** Why an expression was refused: a value, so the caller can name the rule and the key. */
export interface ExpressionProblem {
  /** Human-readable, first line of the library's message plus what we know. */
  readonly message: string;
  /** The unknown identifier, when that is the fault. */
  readonly identifier?: string;
}

/** A compiled expression, or why not. */
export type ExpressionResult =
  | { readonly ok: true; readonly expr: CompiledExpression; readonly identifiers: ReadonlySet<string> }
  | { readonly ok: false; readonly problem: ExpressionProblem };

const firstLine = (s: string): string => s.split('\n')[0] ?? s;

/**
 * Type-checks `source` in `env` (must be `bool`), compiles it once, and splits its top-level `&&` / `||`
 * chain into clauses compiled on their own (for change reasons). With `negate`, compiles `!(source)`
 * and its clauses as `!(clause)` under the dual mode (De Morgan), for a rule's default exit.
 */
export function compileExpression(env: Environment, source: string, negate = false): ExpressionResult {
  const checked = env.check(source);
  if (!checked.valid) {
    const err = checked.error;
    const node = err?.node as { op?: string; args?: unknown } | undefined;
    if (err?.code === 'unknown_variable' && node?.op === 'id' && typeof node.args === 'string') {
      return {
        ok: false,
        problem: {
          message: `unknown identifier "${node.args}" (not an engine feature nor a score variable)`,
          identifier: node.args,
        },
      };
    }
    const kind = err?.name === 'ParseError' ? 'syntax error' : 'type error';
    return { ok: false, problem: { message: `${kind}: ${firstLine(err?.message ?? 'invalid expression')}` } };
  }
  if (checked.type !== 'bool') {
    return { ok: false, problem: { message: `the expression is of type ${checked.type ?? '?'}, not bool` } };
  }
  const parsed = env.parse(source);
  const identifiers = new Set<string>();
  collectIdentifiers(parsed.ast, identifiers);
  const { mode, parts } = splitClauses(env, parsed.ast, source);
  const finalMode: ClauseMode = negate ? (mode === 'all' ? 'any' : 'all') : mode;
  const clauses = parts.map((text) => {
    const clauseSource = negate ? `!(${text})` : text;
    return { source: clauseSource, fn: env.parse(clauseSource) };
  });
  const fn: ParseResult = negate ? env.parse(`!(${source})`) : parsed;
  return {
    ok: true,
    expr: { source: negate ? `!(${source})` : source, fn, mode: finalMode, clauses, negated: negate },
    identifiers,
  };
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
