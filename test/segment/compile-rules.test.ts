import { describe, expect, it } from 'vitest';
import {
  compileSegmentRules,
  loadSegmentRules,
  MAX_SEGMENTS,
  SegmentRulesError,
} from '../../src/segment/index.js';
import { ChurnflowError } from '../../src/contract/codes.js';

const rules = (...segments: unknown[]) => ({ segments });

function refusal(json: unknown): SegmentRulesError {
  try {
    compileSegmentRules(json, 'rules.json');
  } catch (e) {
    expect(e).toBeInstanceOf(SegmentRulesError);
    expect(e).toBeInstanceOf(ChurnflowError);
    const err = e as SegmentRulesError;
    expect(err.code).toBe('SEGMENTS_INVALID');
    expect(err.context.file).toBe('rules.json');
    return err;
  }
  throw new Error('expected a refusal');
}

describe('compileSegmentRules refuses bad rules, naming rule and identifier', () => {
  it('an unknown identifier (a feature the engine does not compute)', () => {
    const err = refusal(
      rules({ name: 'ok', enter: 'churnRisk > 0.5' }, { name: 'typo', enter: 'revenue_9d > 5' }),
    );
    expect(err.rule).toBe('typo');
    expect(err.identifier).toBe('revenue_9d');
    expect(err.context.key).toBe('segments[1].enter');
    expect(err.message).toContain('"typo"');
    expect(err.message).toContain('"revenue_9d"');
  });
  it('an unknown identifier in exit', () => {
    const err = refusal(rules({ name: 'a', enter: 'churnRisk > 0.5', exit: 'churn_risk < 0.4' }));
    expect([err.rule, err.identifier, err.context.key]).toEqual(['a', 'churn_risk', 'segments[0].exit']);
  });
  it('a syntax error', () => {
    const err = refusal(rules({ name: 'broken', enter: 'purchases_90d >= ' }));
    expect(err.rule).toBe('broken');
    expect(err.message).toMatch(/syntax error/);
    expect(err.identifier).toBeUndefined();
  });
  it('a non-boolean result', () => {
    const err = refusal(rules({ name: 'sum', enter: 'revenue_90d + 1' }));
    expect(err.rule).toBe('sum');
    expect(err.message).toMatch(/double, not bool/);
  });
  it('a type error (string against number)', () => {
    expect(refusal(rules({ name: 's', enter: 'stage > 1' })).message).toMatch(/type error/);
  });
  it('a duplicate name', () => {
    const err = refusal(
      rules({ name: 'a', enter: 'churnRisk > 0.5' }, { name: 'a', enter: 'churnRisk > 0.2' }),
    );
    expect([err.rule, err.context.key]).toEqual(['a', 'segments[1].name']);
  });
  it.each(['Big', 'a.b', '', 'x'.repeat(65), 'a-b', 'a>'])(
    'a name that is not a subject token: %j',
    (name) => {
      expect(refusal(rules({ name, enter: 'churnRisk > 0.5' })).context.key).toBe('segments[0].name');
    },
  );
  it('unknown keys, a bad minDwellMs, a missing enter, a bad file shape', () => {
    expect(refusal(rules({ name: 'a', enter: 'true', minDwell: 5 })).context.key).toBe(
      'segments[0].minDwell',
    );
    expect(refusal(rules({ name: 'a', enter: 'true', minDwellMs: -1 })).context.key).toBe(
      'segments[0].minDwellMs',
    );
    expect(refusal(rules({ name: 'a', enter: 'true', minDwellMs: 1.5 })).context.key).toBe(
      'segments[0].minDwellMs',
    );
    expect(refusal(rules({ name: 'a' })).context.key).toBe('segments[0].enter');
    expect(refusal({ segment: [] }).context.key).toBe('segments');
    expect(refusal([]).context.key).toBe('segments');
  });
  it(`more than ${MAX_SEGMENTS} segments`, () => {
    const many = Array.from({ length: MAX_SEGMENTS + 1 }, (_, i) => ({ name: `s${i}`, enter: 'true' }));
    expect(refusal(rules(...many)).message).toMatch(/at most 32/);
    expect(compileSegmentRules(rules(...many.slice(0, MAX_SEGMENTS)), 'f').rules).toHaveLength(MAX_SEGMENTS);
  });
});

describe('compileSegmentRules compiles', () => {
  it('accepts mixed int/double comparisons and arithmetic, and strings for stage', () => {
    const set = compileSegmentRules(
      rules(
        { name: 'a', enter: 'purchases_90d == 1 && revenue_90d / 2 > 10 && stage == "repeat"' },
        { name: 'b', enter: 'stage in ["at_risk", "lapsed"] || pAlive < 0.3', minDwellMs: 1000 },
      ),
      'f',
    );
    expect(set.rules.map((r) => [r.name, r.index, r.minDwellMs, r.usesBaseline])).toEqual([
      ['a', 0, 0, false],
      ['b', 1, 1000, true],
    ]);
    expect([...set.variables].sort()).toEqual(['pAlive', 'purchases_90d', 'revenue_90d', 'stage']);
  });
  it('splits top-level clauses for reasons and derives the default exit by De Morgan', () => {
    const [r] = compileSegmentRules(
      rules({ name: 'a', enter: 'churnRisk >= 0.6 && (cancelled == 1 || true)' }),
      'f',
    ).rules;
    expect(r?.enter.mode).toBe('all');
    expect(r?.enter.clauses.map((c) => c.source)).toEqual(['churnRisk >= 0.6', 'cancelled == 1 || true']);
    expect(r?.exit.negated).toBe(true);
    expect(r?.exit.mode).toBe('any');
    expect(r?.exit.clauses.map((c) => c.source)).toEqual([
      '!(churnRisk >= 0.6)',
      '!(cancelled == 1 || true)',
    ]);
  });
  it('clause text survives parentheses that the parser ranges cut short', () => {
    const [r] = compileSegmentRules(
      rules({
        name: 'a',
        enter: '(churnRisk > -(0.5 - 1.0)) && -(1.0 + 2.0) < engagement && !(stage == "x")',
      }),
      'f',
    ).rules;
    expect(r?.enter.clauses.map((c) => c.source)).toEqual([
      'churnRisk > -(0.5 - 1.0)',
      '-(1.0 + 2.0) < engagement',
      '!(stage == "x")',
    ]);
  });
  it('the default pack config/segments.json compiles: 16 segments a retention team recognises', async () => {
    const set = await loadSegmentRules('config/segments.json');
    expect(set.rules.map((r) => r.name)).toEqual([
      'big_spenders',
      'loyal_repeat_buyers',
      'one_time_buyers',
      'cart_abandoners',
      'browsers_never_bought',
      'email_responsive',
      'sms_responsive',
      'push_responsive',
      'valuable_at_risk',
      'promoters',
      'detractors',
      'unhappy',
      'advocates',
      'new_customers',
      'lapsed_winback',
      'unsubscribed',
    ]);
    for (const r of set.rules) expect(r.description.length).toBeGreaterThan(10);
  });
  it('loadSegmentRules refuses a missing file and bad JSON with SEGMENTS_INVALID', async () => {
    await expect(loadSegmentRules('/nonexistent/segments.json')).rejects.toMatchObject({
      code: 'SEGMENTS_INVALID',
      context: { file: '/nonexistent/segments.json' },
    });
    await expect(loadSegmentRules('package-lock.json')).rejects.toMatchObject({ code: 'SEGMENTS_INVALID' });
  });
});
