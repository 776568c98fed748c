import type { ASTNode } from '@marcbachmann/cel-js';
import type { SegmentActivation } from './types.js';

/** A compiled rule node: what it yields and how to compute it from the activation. */
type Compiled =
  | { readonly kind: 'bool'; readonly fn: (a: SegmentActivation) => boolean }
  | { readonly kind: 'double' | 'int'; readonly fn: (a: SegmentActivation) => number }
  | { readonly kind: 'string'; readonly fn: (a: SegmentActivation) => string };

type Num = (a: SegmentActivation) => number;

const COMPARE: Readonly<Record<string, (x: number, y: number) => boolean>> = {
  '<': (x, y) => x < y,
  '<=': (x, y) => x <= y,
  '>': (x, y) => x > y,
  '>=': (x, y) => x >= y,
  '==': (x, y) => x === y,
  '!=': (x, y) => x !== y,
};
const ARITHMETIC: Readonly<Record<string, (x: number, y: number) => number>> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
};

/**
 * Compiles a type-checked rule to a plain JavaScript closure when it stays inside the subset segment rules are
 * made of — numeric comparisons, `&&`, `||`, `!`, `?:`, double arithmetic, string equality on `stage`, literals —
 * and returns undefined otherwise (the caller keeps cel-js's evaluator). Every rule is evaluated for every scored
 * row: cel-js's tree-walking evaluator spent about 300 ns per rule there, a quarter of the engine's CPU with the
 * shipped sixteen rules; a closure tree costs a few nanoseconds per node.
 *
 * Same answers as cel-js on this subset (test/segment/fast-rule.test.ts compares them on generated rules and
 * activations): doubles follow IEEE 754 in both (NaN compares false, x / 0.0 is ±Infinity), and mixed int/double
 * operations convert the int as the environment's registered operators do. Integer-only arithmetic (truncating
 * division, overflow errors), unsigned ints, `%`, string ordering, lists, maps, macros and functions are left to
 * cel-js. Closures only: no source text is ever generated or run.
 * @param types the declared type of each variable ('double' or 'string')
 */
export function compileFastRule(
  ast: ASTNode,
  types: ReadonlyMap<string, string>,
): ((a: SegmentActivation) => boolean) | undefined {
  const c = compile(ast, types);
  return c?.kind === 'bool' ? c.fn : undefined;
}

function compile(n: ASTNode, types: ReadonlyMap<string, string>): Compiled | undefined {
  const args: unknown = n.args;
  switch (n.op) {
    case 'value':
      return literal(args);
    case 'id':
      return variable(args, types);
    case '!_': {
      const x = compile(args as ASTNode, types);
      if (x?.kind !== 'bool') return undefined;
      const f = x.fn;
      return { kind: 'bool', fn: (a) => !f(a) };
    }
    case '-_': {
      const x = compile(args as ASTNode, types);
      if (x?.kind !== 'double' && x?.kind !== 'int') return undefined;
      const f = x.fn;
      // Ints have no negative zero: -(0) is 0, which decides the sign of a later x / 0.
      return x.kind === 'int' ? { kind: 'int', fn: (a) => 0 - f(a) } : { kind: 'double', fn: (a) => -f(a) };
    }
    case '&&':
    case '||':
      return logical(n.op, args as ASTNode[], types);
    case '?:':
      return conditional(args as ASTNode[], types);
    default:
      if (n.op in COMPARE) return comparison(n.op, args as ASTNode[], types);
      if (n.op in ARITHMETIC) return arithmetic(n.op, args as ASTNode[], types);
      return undefined;
  }
}

function literal(v: unknown): Compiled | undefined {
  if (typeof v === 'number') return { kind: 'double', fn: () => v };
  if (typeof v === 'boolean') return { kind: 'bool', fn: () => v };
  if (typeof v === 'string') return { kind: 'string', fn: () => v };
  // Ints beyond 2^53 would lose digits as numbers: cel-js keeps them exact.
  if (
    typeof v === 'bigint' &&
    v <= BigInt(Number.MAX_SAFE_INTEGER) &&
    v >= -BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    const x = Number(v);
    return { kind: 'int', fn: () => x };
  }
  return undefined;
}

function variable(name: unknown, types: ReadonlyMap<string, string>): Compiled | undefined {
  if (typeof name !== 'string') return undefined;
  const type = types.get(name);
  if (type === 'double') return { kind: 'double', fn: (a) => a[name] as number };
  if (type === 'string') return { kind: 'string', fn: (a) => a[name] as string };
  return undefined;
}

function pair(args: ASTNode[], types: ReadonlyMap<string, string>): [Compiled, Compiled] | undefined {
  if (!Array.isArray(args) || args.length !== 2) return undefined;
  const x = compile(args[0]!, types);
  const y = compile(args[1]!, types);
  return x === undefined || y === undefined ? undefined : [x, y];
}

const numeric = (c: Compiled): boolean => c.kind === 'double' || c.kind === 'int';

function logical(op: '&&' | '||', args: ASTNode[], types: ReadonlyMap<string, string>): Compiled | undefined {
  const p = pair(args, types);
  if (p === undefined || p[0].kind !== 'bool' || p[1].kind !== 'bool') return undefined;
  const f = p[0].fn;
  const g = p[1].fn;
  return { kind: 'bool', fn: op === '&&' ? (a) => f(a) && g(a) : (a) => f(a) || g(a) };
}

function conditional(args: ASTNode[], types: ReadonlyMap<string, string>): Compiled | undefined {
  if (!Array.isArray(args) || args.length !== 3) return undefined;
  const [c, x, y] = args.map((a) => compile(a, types));
  if (c?.kind !== 'bool' || x === undefined || y === undefined || x.kind !== y.kind) return undefined;
  const test = c.fn;
  const f = x.fn as (a: SegmentActivation) => never;
  const g = y.fn as (a: SegmentActivation) => never;
  return { kind: x.kind, fn: (a: SegmentActivation) => (test(a) ? f(a) : g(a)) };
}

function comparison(op: string, args: ASTNode[], types: ReadonlyMap<string, string>): Compiled | undefined {
  const p = pair(args, types);
  if (p === undefined) return undefined;
  const [x, y] = p;
  const cmp = COMPARE[op]!;
  if (numeric(x) && numeric(y)) {
    const f = x.fn as Num;
    const g = y.fn as Num;
    return { kind: 'bool', fn: (a) => cmp(f(a), g(a)) };
  }
  // Strings and booleans: equality only (string ordering is by code point in CEL, not by UTF-16 unit).
  const same = x.kind === y.kind && (x.kind === 'string' || x.kind === 'bool');
  if (!same || (op !== '==' && op !== '!=')) return undefined;
  const f = x.fn as (a: SegmentActivation) => unknown;
  const g = y.fn as (a: SegmentActivation) => unknown;
  return { kind: 'bool', fn: op === '==' ? (a) => f(a) === g(a) : (a) => f(a) !== g(a) };
}

function arithmetic(op: string, args: ASTNode[], types: ReadonlyMap<string, string>): Compiled | undefined {
  const p = pair(args, types);
  // At least one double: int-only arithmetic truncates and overflows in CEL.
  if (p === undefined || !numeric(p[0]) || !numeric(p[1])) return undefined;
  if (p[0].kind === 'int' && p[1].kind === 'int') return undefined;
  const f = p[0].fn as Num;
  const g = p[1].fn as Num;
  const calc = ARITHMETIC[op]!;
  return { kind: 'double', fn: (a) => calc(f(a), g(a)) };
}
