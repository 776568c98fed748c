import type { ASTNode } from '@marcbachmann/cel-js';
import { UNBOUNDED_SIZE } from './rule-limits.js';

/**
 * What the estimator knows of a value: an upper bound on its size and, for a list or map, on its elements. Sizes
 * are list lengths, map entries, or string/bytes lengths; numbers and booleans have size 0.
 */
interface Shape {
  readonly size: number;
  /** An element of a list, or a key or value of a map; undefined for scalars and strings. */
  readonly elem: Shape | undefined;
}

/** A rule's size, shape and estimated cost, as measured before it is type-checked or run. */
export interface RuleMeasure {
  /** AST nodes, macros before expansion. */
  readonly nodes: number;
  /** Depth of the AST. */
  readonly depth: number;
  /** Deepest nesting of comprehensions (0: none). */
  readonly comprehensionNesting: number;
  /** Estimated cost of one evaluation, in units of about one AST node evaluated once. */
  readonly cost: number;
  /** Every `matches()` call, with its pattern when that is a string literal. */
  readonly regexCalls: readonly { readonly node: ASTNode; readonly pattern: string | undefined }[];
}

/** Costs and sizes saturate here, far above any budget, so products never reach Infinity or NaN. */
const CAP = 1e12;
const add = (...xs: number[]): number =>
  Math.min(
    CAP,
    xs.reduce((a, b) => a + b, 0),
  );
const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : Math.min(CAP, a * b));

const SCALAR: Shape = { size: 0, elem: undefined };
/** A value of unknown size: as large as the source limit, four levels deep (deeper than any literal needs). */
const UNBOUNDED: Shape = [1, 2, 3, 4].reduce<Shape>((elem) => ({ size: UNBOUNDED_SIZE, elem }), SCALAR);

const join = (a: Shape | undefined, b: Shape | undefined): Shape | undefined =>
  a === undefined ? b : b === undefined ? a : { size: Math.max(a.size, b.size), elem: join(a.elem, b.elem) };
/** Units to touch every part of a value once (compare, copy, hash). */
const weight = (s: Shape | undefined): number =>
  s === undefined ? 0 : add(s.size, mul(s.size, weight(s.elem)));
const sized = (size: number, elem?: Shape): Shape => ({ size: Math.min(CAP, size), elem });

/** Global functions whose result is a number, boolean, timestamp or duration, whatever their arguments. */
const SCALAR_FUNCTIONS: ReadonlySet<string> = new Set([
  'size',
  'int',
  'uint',
  'double',
  'bool',
  'has',
  'timestamp',
  'duration',
  'type',
]);

const COMPREHENSIONS: Readonly<Record<string, readonly number[]>> = {
  all: [2],
  exists: [2],
  exists_one: [2],
  filter: [2],
  map: [2, 3],
};

/**
 * Measures a parsed rule, Kubernetes-CEL style: a comprehension costs the size bound of its range times the cost
 * of its body; a list literal's size is its length; concatenation, `split`, `map` and `cel.bind` carry sizes
 * through; a value whose size cannot be bounded from the structure is assumed as large as the source limit.
 * Pure and total: any AST, however odd, gets a measure (type errors are the type checker's job).
 * @param ast the parsed, not yet expanded expression (`env.parse(source).ast`)
 * @param strings string variables and their longest value (every other variable is a number)
 * @param regexNames method names that run a regular expression (`matches` and any alias of it)
 */
export function measureRule(
  ast: ASTNode,
  strings: ReadonlyMap<string, number>,
  regexNames: ReadonlySet<string>,
): RuleMeasure {
  let nodes = 0;
  let maxDepth = 0;
  let maxNesting = 0;
  const regexCalls: { node: ASTNode; pattern: string | undefined }[] = [];

  type Scope = ReadonlyMap<string, Shape>;
  type Out = { cost: number; shape: Shape };
  const scalar = (cost: number): Out => ({ cost: Math.min(CAP, cost), shape: SCALAR });

  const visit = (n: ASTNode, scope: Scope, depth: number, nesting: number): Out => {
    nodes++;
    if (depth > maxDepth) maxDepth = depth;
    const sub = (c: ASTNode, s: Scope = scope, deeper = nesting): Out => visit(c, s, depth + 1, deeper);
    switch (n.op) {
      case 'value': {
        const v: unknown = n.args;
        if (typeof v === 'string') return { cost: 1, shape: sized(v.length) };
        if (v instanceof Uint8Array) return { cost: 1, shape: sized(v.byteLength) };
        return scalar(1);
      }
      case 'id': {
        const bound = scope.get(n.args);
        if (bound !== undefined) return { cost: 1, shape: bound };
        const length = strings.get(n.args);
        return { cost: 1, shape: length === undefined ? SCALAR : sized(length) };
      }
      case '!_':
      case '-_':
        return scalar(1 + sub(n.args).cost);
      case '.':
      case '.?': {
        const r = sub(n.args[0]);
        return { cost: add(1, r.cost), shape: r.shape.elem ?? SCALAR };
      }
      case '[]':
      case '[?]': {
        const [r, i] = [sub(n.args[0]), sub(n.args[1])];
        return { cost: add(1, r.cost, i.cost), shape: r.shape.elem ?? SCALAR };
      }
      case '?:': {
        const [c, a, b] = n.args.map((x) => sub(x)) as [Out, Out, Out];
        return { cost: add(1, c.cost, a.cost, b.cost), shape: join(a.shape, b.shape) ?? SCALAR };
      }
      case 'list': {
        const items = n.args.map((x) => sub(x));
        const elem = items.reduce<Shape | undefined>((s, x) => join(s, x.shape), undefined);
        return { cost: add(1, items.length, ...items.map((x) => x.cost)), shape: sized(items.length, elem) };
      }
      case 'map': {
        let cost = add(1, n.args.length);
        let elem: Shape | undefined;
        for (const [k, v] of n.args) {
          const [ko, vo] = [sub(k), sub(v)];
          cost = add(cost, ko.cost, vo.cost);
          elem = join(join(elem, ko.shape), vo.shape);
        }
        return { cost, shape: sized(n.args.length, elem) };
      }
      case 'call':
        return call(n.args[0], undefined, n.args[1]);
      case 'rcall':
        return rcall(n, n.args[0], n.args[1], n.args[2]);
      default: {
        // Binary operators (and anything newer the library adds): both operands, plus the work on sized values.
        const args: unknown = n.args;
        const parts = (Array.isArray(args) ? args : [args]).filter(isNode).map((x) => sub(x));
        const [l, r] = [parts[0]?.shape ?? SCALAR, parts[1]?.shape ?? SCALAR];
        const base = add(1, ...parts.map((p) => p.cost));
        if (n.op === '+') {
          const shape = sized(l.size + r.size, join(l.elem, r.elem));
          return { cost: add(base, shape.size), shape };
        }
        if (n.op === '==' || n.op === '!=') return scalar(add(base, Math.min(weight(l), weight(r))));
        if (n.op === 'in') return scalar(add(base, mul(r.size, 1 + weight(l))));
        return scalar(base);
      }
    }

    /** A global function: `has`, conversions, `size`, `dyn`... */
    function call(name: string, _recv: undefined, args: readonly ASTNode[]): Out {
      const outs = args.map((x) => sub(x));
      const cost = add(1, ...outs.map((o) => o.cost), ...outs.map((o) => o.shape.size));
      const first = outs[0]?.shape ?? SCALAR;
      if (name === 'dyn') return { cost, shape: first };
      if (name === 'string') return { cost, shape: first.size > 0 ? sized(first.size) : sized(32) };
      if (name === 'bytes') return { cost, shape: sized(mul(3, first.size)) };
      if (SCALAR_FUNCTIONS.has(name)) return { cost, shape: SCALAR };
      return { cost, shape: outs.some((o) => o.shape.size > 0) ? UNBOUNDED : SCALAR };
    }

    /** A method call: a macro (comprehension, `cel.bind`), `matches`, or a function on strings and lists. */
    function rcall(node: ASTNode, name: string, recvNode: ASTNode, args: readonly ASTNode[]): Out {
      const iterVar = args[0]?.op === 'id' ? args[0].args : undefined;
      if (iterVar !== undefined && COMPREHENSIONS[name]?.includes(args.length)) {
        nodes++; // the loop variable
        const range = sub(recvNode);
        const inner = new Map(scope).set(iterVar, range.shape.elem ?? SCALAR);
        if (nesting + 1 > maxNesting) maxNesting = nesting + 1;
        const bodies = args.slice(1).map((b) => sub(b, inner, nesting + 1));
        const cost = add(1, range.cost, mul(range.shape.size, add(1, ...bodies.map((b) => b.cost))));
        if (name === 'filter') return { cost, shape: range.shape };
        if (name === 'map') return { cost, shape: sized(range.shape.size, bodies[bodies.length - 1]?.shape) };
        return scalar(cost);
      }
      if (name === 'bind' && recvNode.op === 'id' && recvNode.args === 'cel' && iterVar !== undefined) {
        nodes += 2; // `cel` and the variable
        const [val, body] = [args[1], args[2]];
        if (val === undefined || body === undefined) return scalar(1);
        const v = sub(val);
        const b = sub(body, new Map(scope).set(iterVar, v.shape));
        return { cost: add(1, v.cost, b.cost), shape: b.shape };
      }
      const recv = sub(recvNode);
      const outs = args.map((x) => sub(x));
      const s = recv.shape.size;
      const arg = outs[0]?.shape ?? SCALAR;
      const cost = add(1, recv.cost, ...outs.map((o) => o.cost));
      if (regexNames.has(name)) {
        const p = args[0];
        regexCalls.push({
          node,
          pattern: p?.op === 'value' && typeof p.args === 'string' ? p.args : undefined,
        });
        // RE2 runs in time linear in the text, times a factor that grows with the pattern.
        return scalar(add(cost, mul(s + 1, Math.ceil(arg.size / 8) + 1)));
      }
      switch (name) {
        case 'split':
          return { cost: add(cost, s), shape: sized(s + 1, sized(s)) };
        case 'join': {
          const size = add(weight(recv.shape), mul(recv.shape.size, arg.size));
          return { cost: add(cost, size), shape: sized(size) };
        }
        case 'lowerAscii':
        case 'upperAscii':
        case 'trim':
        case 'substring':
        case 'string':
          return { cost: add(cost, s), shape: sized(s) };
        case 'hex':
        case 'base64':
          return { cost: add(cost, s), shape: sized(mul(2, s) + 4) };
        case 'json':
          return { cost: add(cost, s), shape: UNBOUNDED };
        default:
          // size, contains, startsWith, indexOf, getters...: linear in what they read, scalar results.
          return scalar(add(cost, s, ...outs.map((o) => o.shape.size)));
      }
    }
  };

  const { cost } = visit(ast, new Map(), 1, 0);
  return { nodes, depth: maxDepth, comprehensionNesting: maxNesting, cost, regexCalls };
}

function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && 'op' in x && 'range' in x;
}
