import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compileSegmentRules,
  createActivation,
  dryRunRule,
  loadSegmentRules,
  MAX_DRY_RUN_SAMPLE,
  planActivation,
  RULE_LIMITS,
  SEGMENT_VARIABLES,
  SegmentRulesError,
  writeActivation,
  type DryRunRow,
} from '../../src/segment/index.js';
import { batch } from './helpers.js';

const list = (n: number): string => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
/** The rule that froze an engine for 398 s (issue 8): three nested comprehensions over 100-element literals. */
const NESTED = `${list(100)}.all(x,${list(100)}.all(y,${list(100)}.all(z, x+y+z >= 0)))`;
/** Catastrophic backtracking for JavaScript's RegExp: 20 a's took 12.8 s; 30 would take hours. */
const REDOS = `"${'a'.repeat(30)}!".matches("^(a+)+$")`;

/** The refusal `compile` throws: a SegmentRulesError with code SEGMENTS_INVALID, and how long it took. */
function refusal(compile: () => unknown): { err: SegmentRulesError; ms: number } {
  const t0 = performance.now();
  try {
    compile();
  } catch (e) {
    expect(e).toBeInstanceOf(SegmentRulesError);
    const err = e as SegmentRulesError;
    expect(err.code).toBe('SEGMENTS_INVALID');
    return { err, ms: performance.now() - t0 };
  }
  throw new Error('expected a refusal');
}
const inFile = (enter: string) => () =>
  compileSegmentRules({ segments: [{ name: 'r', enter }] }, 'rules.json');

/** Customers as the engine offers them; reading one past `limit` fails the test (a refusal reads none). */
function* rows(n: number, limit = Infinity): Iterable<DryRunRow> {
  const { features, scores } = batch(Array.from({ length: n }, (_, i) => ({ churnRisk: i / n })));
  const act = createActivation();
  const plan = planActivation(SEGMENT_VARIABLES);
  for (let r = 0; r < n; r++) {
    if (r >= limit) throw new Error('a refused rule read a row');
    writeActivation(act, plan, features, scores, r);
    yield { customerId: `c${r}`, activation: act };
  }
}

describe('rule limits: the reproductions of issue 8', () => {
  it('refuses the nested-comprehension rule in the segments file, quickly, naming limit and value', async () => {
    const { err, ms } = refusal(inFile(NESTED));
    expect(err.limit).toBe('maxComprehensionNesting');
    expect(err.message).toContain('comprehensions are nested 3 deep; the limit is 2');
    expect([err.rule, err.context.key]).toEqual(['r', 'segments[0].enter']);
    expect(ms).toBeLessThan(500);
    const dir = mkdtempSync(join(tmpdir(), 'cf-limits-'));
    writeFileSync(join(dir, 'segments.json'), JSON.stringify({ segments: [{ name: 'r', enter: NESTED }] }));
    await expect(loadSegmentRules(join(dir, 'segments.json'))).rejects.toMatchObject({
      code: 'SEGMENTS_INVALID',
      limit: 'maxComprehensionNesting',
    });
  });
  it('refuses it in a dry run before reading any customer', () => {
    const { err, ms } = refusal(() => dryRunRule(NESTED, rows(10, 0)));
    expect([err.limit, err.context.key]).toEqual(['maxComprehensionNesting', 'rule']);
    expect(ms).toBeLessThan(500);
  });
  it('refuses two nested 100-element comprehensions for their estimated cost, with the value', () => {
    const { err } = refusal(inFile(`${list(100)}.all(x, ${list(100)}.all(y, x + y >= 0))`));
    expect(err.limit).toBe('maxCost');
    expect(err.message).toMatch(/estimated evaluation cost is 80,\d{3}; the limit is 1,000 \(maxCost\)/);
  });
  it('runs matches on RE2: the catastrophic pattern is answered in linear time, in the file and a dry run', () => {
    const set = compileSegmentRules(
      { segments: [{ name: 'r', enter: `${REDOS} || churnRisk > 0.5` }] },
      'rules.json',
    );
    const rule = set.rules[0];
    if (rule === undefined) throw new Error('no rule');
    const act = createActivation();
    const t0 = performance.now();
    expect(rule.enter.fn(act)).toBe(false);
    expect(rule.exit.fn(act)).toBe(true);
    expect(rule.enter.clauses.map((c) => c.fn(act) as boolean)).toEqual([false, false]);
    const dry = dryRunRule(`${REDOS} || churnRisk >= 0.5`, rows(1000), 3);
    expect(dry).toEqual({ matches: 500, evaluated: 1000, sample: ['c500', 'c501', 'c502'] });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  it('keeps CEL matches semantics on RE2: a partial match, RE2 syntax', () => {
    const holds = (rule: string, stage: string): boolean => {
      const r = compileSegmentRules({ segments: [{ name: 'r', enter: rule }] }, 'x').rules[0];
      return r?.enter.fn({ ...createActivation(), stage }) === true;
    };
    expect(holds('stage.matches("risk")', 'at_risk')).toBe(true);
    expect(holds('stage.matches("^(at_risk|lapsed)$")', 'lapsed')).toBe(true);
    expect(holds('stage.matches("^(at_risk|lapsed)$")', 'churned')).toBe(false);
    expect(holds('stage.matches("(?i)^REPEAT$")', 'repeat')).toBe(true);
    expect(holds('dyn(stage).matches("^rep")', 'repeat')).toBe(true);
  });
});

describe('rule limits: each limit is refused with its name and the measured value', () => {
  it('source size', () => {
    const long = `churnRisk > 0.5 || ${Array.from({ length: 300 }, () => 'churnRisk > 0.5').join(' || ')}`;
    const { err } = refusal(inFile(long));
    expect(err.limit).toBe('maxSourceBytes');
    expect(err.message).toContain(`${Buffer.byteLength(long).toLocaleString('en')} bytes long`);
  });
  it('AST nodes, AST depth, parser nesting, list elements', () => {
    const nodes = refusal(inFile(`${Array.from({ length: 300 }, () => '1').join('+')} > 0`)).err;
    expect([nodes.limit, nodes.message]).toEqual(['maxAstNodes', expect.stringContaining('601 AST nodes')]);
    const chain = Array.from({ length: 70 }, (_, i) => `churnRisk > ${i}.0`).join(' && ');
    const depth = refusal(inFile(chain)).err;
    expect([depth.limit, depth.message]).toEqual(['maxDepth', expect.stringContaining('nested 71 deep')]);
    expect(refusal(inFile(`${'('.repeat(80)}churnRisk > 0.5${')'.repeat(80)}`)).err.limit).toBe('maxDepth');
    expect(refusal(inFile(`${list(300)}.size() > 0`)).err.limit).toBe('maxListElements');
  });
  it('matches patterns: literal, valid RE2, bounded length', () => {
    expect(refusal(inFile('stage.matches(stage)')).err.message).toContain('must be a string literal');
    expect(refusal(inFile('stage.matches("(a)\\\\1")')).err.message).toContain('not a valid RE2');
    expect(refusal(inFile('stage.matches("(?=a)")')).err.message).toContain('not a valid RE2');
    const long = refusal(inFile(`stage.matches("${'a'.repeat(300)}")`)).err;
    expect(long.message).toContain('300 characters exceeds the limit of 256');
  });
  it('the summed cost of a rules file', () => {
    const heavy = `${list(160)}.all(x, x >= 0)`; // about 960 units
    const segments = Array.from({ length: 5 }, (_, i) => ({
      name: `s${i}`,
      enter: heavy,
      exit: 'churnRisk < 0.1',
    }));
    expect(() => compileSegmentRules({ segments: segments.slice(0, 4) }, 'f')).not.toThrow();
    const { err } = refusal(() => compileSegmentRules({ segments }, 'f'));
    expect([err.limit, err.rule]).toEqual(['maxFileCost', 's4']);
    expect(err.message).toMatch(/reaches 4,\d{3} with this segment; the limit for a file is 4,000/);
  });
  it('the size of the rules file, before it is read', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cf-limits-')), 'segments.json');
    writeFileSync(file, JSON.stringify({ segments: [], pad: 'x'.repeat(RULE_LIMITS.maxFileBytes) }));
    await expect(loadSegmentRules(file)).rejects.toMatchObject({
      code: 'SEGMENTS_INVALID',
      limit: 'maxFileBytes',
    });
  });
  it('admits every rule of the default pack', async () => {
    const pack = await loadSegmentRules('config/segments.json');
    expect(pack.rules.length).toBeGreaterThan(10);
  });
});

describe('dry-run sample', () => {
  it('is capped at 100 ids whatever is asked (sample: 1e9 returned every customer id)', () => {
    const res = dryRunRule('churnRisk >= 0.0', rows(500), 1e9);
    expect(res.matches).toBe(500);
    expect(res.sample).toHaveLength(MAX_DRY_RUN_SAMPLE);
  });
  it.each([-1, 1.5, Number.NaN, Infinity])('refuses sample %s before reading a row', (sample) => {
    const { err } = refusal(() => dryRunRule('churnRisk > 0.5', rows(10, 0), sample));
    expect([err.limit, err.context.key]).toEqual(['sample', 'sample']);
  });
});

describe('cost estimate', () => {
  it('prices sizes only where they are: a size() result is a number', () => {
    expect(() => inFile('size(stage) in [1, 2, 3] && size([1, 2]) == 2')()).not.toThrow();
    expect(() => inFile('["at_risk", "lapsed"].exists(s, stage == s)')()).not.toThrow();
  });
  it('carries sizes through cel.bind and concatenation (each + doubles what the next one builds)', () => {
    const doubling = (k: number): string =>
      `cel.bind(v, ${list(20)}, ${'cel.bind(v, v + v, '.repeat(k)}v.size() > 0${')'.repeat(k)})`;
    expect(() => inFile(doubling(3))()).not.toThrow();
    expect(refusal(inFile(doubling(12))).err.limit).toBe('maxCost');
  });
});
