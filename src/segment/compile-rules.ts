import { BASELINE_VARIABLES, createRuleEnvironment, isSegmentVariable } from './rule-environment.js';
import { compileExpression, type ExpressionResult } from './compile-expression.js';
import { RULE_LIMITS } from './rule-limits.js';
import { SegmentRulesError } from './segment-rules-error.js';
import type { CompiledSegmentRule, SegmentRuleSet } from './types.js';

/** At most this many segments: one bit each in a customer's Uint32 membership mask. */
export const MAX_SEGMENTS = 32;

/** A segment name: a NATS subject token, lower case. */
export const SEGMENT_NAME = /^[a-z0-9_]{1,64}$/;

const RULE_KEYS = new Set(['name', 'description', 'enter', 'exit', 'minDwellMs']);

/**
 * Checks and compiles a parsed rules file `{ "segments": [ { name, description?, enter, exit?, minDwellMs? } ] }`.
 * Every expression is type-checked against the engine's variables and compiled once here.
 * @param json the parsed JSON (any value; its shape is checked)
 * @param file where it came from, for errors
 * @throws SegmentRulesError (code `SEGMENTS_INVALID`) naming the rule, the key and, when that is the fault, the
 *   identifier: bad shape, bad or duplicate name, syntax error, unknown identifier, non-boolean expression,
 *   more than {@link MAX_SEGMENTS} segments, a rule over a limit of `RULE_LIMITS` (`limit` names it), or rules whose
 *   summed cost exceeds `RULE_LIMITS.maxFileCost`.
 */
export function compileSegmentRules(json: unknown, file: string): SegmentRuleSet {
  const fail = (
    key: string | undefined,
    msg: string,
    rule?: string,
    identifier?: string,
    limit?: string,
  ): never => {
    throw new SegmentRulesError(
      `${file}: ${msg}`,
      file,
      key,
      rule,
      identifier,
      limit === undefined ? {} : { limit },
    );
  };
  if (!isRecord(json) || !Array.isArray(json.segments)) {
    return fail('segments', 'expected an object with a "segments" array');
  }
  const specs: unknown[] = json.segments;
  if (specs.length > MAX_SEGMENTS) {
    fail(
      'segments',
      `${specs.length} segments; at most ${MAX_SEGMENTS} (one bit each in the membership mask)`,
    );
  }
  const env = createRuleEnvironment();
  const names = new Set<string>();
  const variables = new Set<string>();
  const rules: CompiledSegmentRule[] = [];
  let fileCost = 0;
  specs.forEach((spec, index) => {
    const at = `segments[${index}]`;
    if (!isRecord(spec)) return fail(at, `${at} is not an object`, at);
    const name = spec.name;
    if (typeof name !== 'string' || !SEGMENT_NAME.test(name)) {
      return fail(`${at}.name`, `${at}.name must match [a-z0-9_]{1,64} (a subject token)`, at);
    }
    const label = `segment "${name}"`;
    if (names.has(name)) fail(`${at}.name`, `${label} is defined twice`, name);
    names.add(name);
    for (const key of Object.keys(spec)) {
      if (!RULE_KEYS.has(key)) fail(`${at}.${key}`, `${label}: unknown key "${key}"`, name);
    }
    if (spec.description !== undefined && typeof spec.description !== 'string') {
      fail(`${at}.description`, `${label}: description must be a string`, name);
    }
    const dwell = spec.minDwellMs ?? 0;
    if (typeof dwell !== 'number' || !Number.isInteger(dwell) || dwell < 0 || dwell > 0xffffffff) {
      fail(`${at}.minDwellMs`, `${label}: minDwellMs must be an integer of milliseconds >= 0`, name);
    }
    if (typeof spec.enter !== 'string' || spec.enter.trim() === '') {
      return fail(`${at}.enter`, `${label}: enter must be a CEL expression`, name);
    }
    if (spec.exit !== undefined && (typeof spec.exit !== 'string' || spec.exit.trim() === '')) {
      return fail(`${at}.exit`, `${label}: exit must be a CEL expression when given`, name);
    }
    const unwrap = (r: ExpressionResult, key: 'enter' | 'exit') => {
      if (r.ok) return r;
      const { message, identifier, limit } = r.problem;
      return fail(`${at}.${key}`, `${label} ${key}: ${message}`, name, identifier, limit);
    };
    const enter = unwrap(compileExpression(env, spec.enter), 'enter');
    const exit =
      spec.exit === undefined
        ? unwrap(compileExpression(env, spec.enter, true), 'enter')
        : unwrap(compileExpression(env, spec.exit), 'exit');
    // Per customer, a segment evaluates enter or exit (clauses only on a flip): the file's cost is the sum of maxima.
    fileCost += Math.max(enter.cost, exit.cost);
    if (fileCost > RULE_LIMITS.maxFileCost) {
      fail(
        `${at}.enter`,
        `${label}: the rules' estimated evaluation cost per customer reaches ${fileCost.toLocaleString('en')} with this segment; the limit for a file is ${RULE_LIMITS.maxFileCost.toLocaleString('en')} (maxFileCost)`,
        name,
        undefined,
        'maxFileCost',
      );
    }
    let usesBaseline = false;
    let usesClv = false;
    for (const id of [...enter.identifiers, ...exit.identifiers]) {
      if (!isSegmentVariable(id)) continue; // a macro's loop variable
      variables.add(id);
      if (BASELINE_VARIABLES.includes(id)) usesBaseline = true;
      if (id === 'predictedClv') usesClv = true;
    }
    rules.push({
      name,
      description: typeof spec.description === 'string' ? spec.description : '',
      index,
      enter: enter.expr,
      exit: exit.expr,
      minDwellMs: dwell as number,
      usesBaseline,
      usesClv,
    });
  });
  return Object.freeze({ file, rules: Object.freeze(rules), variables: Object.freeze([...variables]) });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
