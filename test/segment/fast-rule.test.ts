import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STAGES } from '../../src/contract/stages.js';
import { createActivation } from '../../src/segment/activation.js';
import { compileFastRule } from '../../src/segment/fast-rule.js';
import { loadSegmentRules } from '../../src/segment/index.js';
import { createRuleEnvironment, VARIABLE_TYPES } from '../../src/segment/rule-environment.js';
import type { SegmentActivation } from '../../src/segment/types.js';

const env = createRuleEnvironment();
const NUM_VARS = ['tenure_days', 'purchases_90d', 'revenue_90d', 'churnRisk', 'pAlive', 'last_nps'];

/** Rule sources over the fast subset, with a sprinkling of what it leaves to cel-js (int arithmetic, %, in). */
const rules = fc.letrec<{ num: string; bool: string }>((tie) => ({
  num: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...NUM_VARS),
    fc.constantFrom('0.0', '1.5', '30.0', '0.25', '1e300', '0', '1', '30', '7'),
    fc
      .tuple(tie('num'), fc.constantFrom('+', '-', '*', '/', '%'), tie('num'))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('num').map((a) => `-(${a})`),
  ),
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(tie('num'), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), tie('num'))
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(fc.constantFrom('==', '!='), fc.constantFrom(...STAGES, 'nope'))
      .map(([op, s]) => `stage ${op} "${s}"`),
    tie('bool').map((a) => `!(${a})`),
    fc
      .tuple(tie('bool'), fc.constantFrom('&&', '||'), tie('bool'))
      .map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(tie('bool'), tie('bool'), tie('bool')).map(([c, a, b]) => `(${c}) ? (${a}) : (${b})`),
    fc.constantFrom('true', 'false', 'tenure_days in [1.0, 2.0]'),
  ),
}));

const value = fc.oneof(
  fc.double({ noDefaultInfinity: false }),
  fc.constantFrom(0, -0, 1, 30, Number.NaN, Number.POSITIVE_INFINITY, 0.25),
  fc.integer({ min: -10, max: 400 }),
);
const activation = fc.record({
  values: fc.array(value, { minLength: NUM_VARS.length, maxLength: NUM_VARS.length }),
  stage: fc.constantFrom(...STAGES),
});

/** What the engine takes from a rule: true, or false for anything else (a non-boolean or a thrown error). */
function verdict(fn: (a: SegmentActivation) => unknown, act: SegmentActivation): boolean {
  try {
    return fn(act) === true;
  } catch {
    return false;
  }
}

function activationOf(values: number[], stage: string): SegmentActivation {
  const act = createActivation();
  NUM_VARS.forEach((name, i) => (act[name] = values[i]!));
  act.stage = stage;
  return act;
}

describe('compileFastRule', () => {
  it('gives the same verdict as cel-js for every rule it compiles, on any activation', () => {
    let compiled = 0;
    fc.assert(
      fc.property(rules.bool, fc.array(activation, { minLength: 1, maxLength: 8 }), (source, acts) => {
        const checked = env.check(source);
        if (!checked.valid || checked.type !== 'bool') return;
        const cel = env.parse(source);
        cel.check();
        const fast = compileFastRule(cel.ast, VARIABLE_TYPES);
        if (fast === undefined) return;
        compiled++;
        for (const { values, stage } of acts) {
          const act = activationOf(values, stage);
          expect(verdict(fast, act), `${source} on ${JSON.stringify(act)}`).toBe(verdict(cel, act));
        }
      }),
      { numRuns: Number(process.env.FAST_RULE_RUNS ?? 3000) },
    );
    expect(compiled).toBeGreaterThan(1000);
  });

  it('leaves to cel-js what it does not cover: int-only arithmetic, %, lists, functions', () => {
    for (const source of [
      'tenure_days > 1 + 2',
      'tenure_days > 7 / 2',
      'purchases_90d > 7 % 2',
      'tenure_days in [1.0]',
      'size(stage) > 2',
      'stage < "z"',
      'tenure_days > 9223372036854775807',
    ]) {
      const cel = env.parse(source);
      expect(cel.check().valid, source).toBe(true);
      expect(compileFastRule(cel.ast, VARIABLE_TYPES), source).toBeUndefined();
    }
  });

  it('treats int-and-double arithmetic as a double, in cel-js as in the closure (1 * x == 0 holds at x = 0)', () => {
    const act = activationOf([0, 0, 0, 0, 0, 0], 'awareness');
    for (const source of [
      '1 * tenure_days == 0',
      '(1 + tenure_days) - 1 == 0',
      '2 / (tenure_days + 1.0) == 2',
    ]) {
      const cel = env.parse(source);
      expect(cel.check().valid, source).toBe(true);
      expect(verdict(cel, act), source).toBe(true);
      expect(verdict(compileFastRule(cel.ast, VARIABLE_TYPES)!, act), source).toBe(true);
    }
  });

  it('compiles every shipped segment rule', async () => {
    const set = await loadSegmentRules('config/segments.json');
    for (const rule of set.rules) {
      for (const expr of [rule.enter, rule.exit]) {
        expect(compileFastRule(expr.fn.ast, VARIABLE_TYPES), expr.source).toBeDefined();
      }
    }
  });
});
