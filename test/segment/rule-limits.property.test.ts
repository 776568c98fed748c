import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compileSegmentRules,
  createActivation,
  dryRunRule,
  planActivation,
  SEGMENT_VARIABLES,
  SegmentRulesError,
  writeActivation,
  type DryRunRow,
} from '../../src/segment/index.js';
import { changeReasons } from '../../src/segment/change-reasons.js';
import { batch } from './helpers.js';

/**
 * Hostile rule sources at volume: deep nesting, huge literals, long strings, many and nested comprehensions,
 * catastrophic regexes, bind chains that double what they hold, and plain garbage. Whatever comes in, compiling it
 * (as a segments file and as a dry run) and evaluating it must end within a bound, and the only thing ever thrown
 * is a SegmentRulesError. On the code before the limits, the nested comprehensions and regexes here run for
 * minutes to hours.
 */

/** Wall time allowed for one source: compile twice, evaluate over 20 customers, with room for GC and a busy CI. */
const BOUND_MS = 300;

const num = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => d.toFixed(2)),
  fc.constantFrom('churnRisk', 'engagement', 'revenue_90d', 'purchases_90d', 'days_since_last_purchase'),
  fc.constantFrom('9223372036854775807', '1e308', 'x', 'y', 'v'),
);
const text = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => JSON.stringify(s)),
  fc.integer({ min: 0, max: 6000 }).map((n) => `"${'a'.repeat(n)}!"`),
  fc.constant('stage'),
);
const pattern = fc.oneof(
  fc.constantFrom(
    '"^(a+)+$"',
    '"(a|aa)*b"',
    '"(a*)*$"',
    '"^(a|a?)+$"',
    '"(x+x+)+y"',
    '"(a)\\\\1"',
    '"(?=a)"',
  ),
  fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.integer({ min: 1, max: 400 }).map((n) => `"${'(a|b)'.repeat(n)}"`),
  text,
);
const bigList = fc
  .tuple(fc.integer({ min: 0, max: 300 }), fc.boolean())
  .map(([n, dbl]) => `[${Array.from({ length: n }, (_, i) => (dbl ? `${i}.0` : String(i))).join(',')}]`);

const { expr } = fc.letrec<{ expr: string; list: string }>((tie) => ({
  list: fc.oneof(
    { weight: 3, arbitrary: bigList },
    { weight: 1, arbitrary: fc.array(tie('expr'), { maxLength: 5 }).map((xs) => `[${xs.join(', ')}]`) },
    { weight: 1, arbitrary: fc.tuple(tie('list'), tie('list')).map(([a, b]) => `${a} + ${b}`) },
    { weight: 1, arbitrary: text.map((t) => `${t}.split("a")`) },
  ),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: num },
    { weight: 1, arbitrary: text },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          tie('expr'),
          fc.constantFrom('+', '-', '*', '/', '%', '<', '>=', '==', '!=', '&&', '||'),
          tie('expr'),
        )
        .map(([a, op, b]) => `${a} ${op} ${b}`),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          tie('list'),
          fc.constantFrom('all', 'exists', 'exists_one', 'map', 'filter'),
          fc.constantFrom('x', 'y', 'v'),
          tie('expr'),
        )
        .map(([l, m, v, body]) => `${l}.${m}(${v}, ${body})`),
    },
    { weight: 2, arbitrary: fc.tuple(text, pattern).map(([t, p]) => `${t}.matches(${p})`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(tie('list'), fc.integer({ min: 1, max: 12 }))
        .map(
          ([l, k]) => `cel.bind(v, ${l}, ${'cel.bind(v, v + v, '.repeat(k)}v.all(x, x == x)${')'.repeat(k)})`,
        ),
    },
    { weight: 1, arbitrary: fc.tuple(tie('list'), tie('expr')).map(([l, e]) => `${e} in ${l}`) },
    { weight: 1, arbitrary: tie('list').map((l) => `size(${l}) > 0`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 400 }), tie('expr'), fc.constantFrom('(', '!(', '-(', '[', 'dyn('))
        .map(([k, e, open]) => `${open.repeat(k)}${e}${(open === '[' ? ']' : ')').repeat(k)}`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, a, b]) => `${c} ? ${a} : ${b}`),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  ),
}));

/** Sources built from expressions, sometimes nested three deep by hand so the worst shapes come up often. */
const source = fc.oneof(
  { weight: 3, arbitrary: expr },
  // Most generated expressions are not boolean: comparing one with itself makes it a rule that gets evaluated.
  { weight: 4, arbitrary: expr.map((e) => `(${e}) == (${e})`) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(bigList, bigList, bigList)
      .map(([a, b, c]) => `${a}.all(x, ${b}.all(y, ${c}.all(z, x + y + z >= 0)))`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 5000 }), pattern)
      .map(([n, p]) => `"${'a'.repeat(n)}!".matches(${p}) || churnRisk > 0.5`),
  },
);

function* rows(n: number): Iterable<DryRunRow> {
  const { features, scores } = batch(Array.from({ length: n }, (_, i) => ({ churnRisk: i / n })));
  const act = createActivation();
  const plan = planActivation(SEGMENT_VARIABLES);
  for (let r = 0; r < n; r++) {
    writeActivation(act, plan, features, scores, r);
    yield { customerId: `c${r}`, activation: act };
  }
}

/** Compiles `src` as a segments file and as a dry run and evaluates what compiles; returns the wall time taken. */
function exercise(src: string): number {
  const t0 = performance.now();
  for (const run of [
    () => {
      const set = compileSegmentRules({ segments: [{ name: 'p', enter: src }] }, 'prop.json');
      const act = createActivation();
      for (const r of set.rules) changeReasons(r.enter, act).concat(changeReasons(r.exit, act));
    },
    () => dryRunRule(src, rows(20), 5),
  ]) {
    try {
      run();
    } catch (e) {
      if (!(e instanceof SegmentRulesError)) throw e;
    }
  }
  return performance.now() - t0;
}

describe('any rule source compiles and evaluates, or is refused, within a bound', () => {
  it('holds for generated sources (nesting, huge literals, long strings, comprehensions, regexes)', () => {
    let slowest = 0;
    fc.assert(
      fc.property(source, (src) => {
        const ms = exercise(src);
        slowest = Math.max(slowest, ms);
        expect(ms, src.slice(0, 200)).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 3000, seed: 8 },
    );
    expect(slowest).toBeLessThan(BOUND_MS);
  }, 120_000);
  it('holds for random text and bytes as a rule', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 5000 }), fc.string({ unit: 'binary', maxLength: 500 })),
        (src) => {
          expect(exercise(src)).toBeLessThan(BOUND_MS);
        },
      ),
      { numRuns: 1000, seed: 8 },
    );
  });
});
