import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';
import { RULE_LIMITS } from './rule-limits.js';

/**
 * The name under which rules run `matches` on RE2. cel-js's built-in `string.matches(string)` uses JavaScript's
 * backtracking `RegExp` (`"aaaaaaaaaaaaaaaaaaaa!".matches("^(a+)+$")` takes seconds) and cannot be replaced:
 * the library refuses a second overload with the same signature. So rules are type-checked as written, then
 * every `matches` call in the AST that will run is renamed to this function before it is checked for evaluation.
 */
export const RE2_MATCHES = 'matchesRe2';

/** Method names that run a regular expression: what the cost estimator prices and the pattern check covers. */
export const REGEX_METHODS: ReadonlySet<string> = new Set(['matches', RE2_MATCHES]);

/**
 * Registers {@link RE2_MATCHES} in `env`: CEL's `matches` semantics (RE2 syntax, true when the pattern matches
 * any part of the text) on re2js, whose automaton runs in time linear in the text. Patterns are compiled once
 * and cached per environment; the cache only ever holds the literal patterns of rules compiled in it.
 */
export function registerRe2Matches(env: Environment): void {
  const cache = new Map<string, RE2JS>();
  env.registerFunction(`string.${RE2_MATCHES}(string): bool`, (text: string, pattern: string): boolean => {
    let re = cache.get(pattern);
    if (re === undefined) {
      re = RE2JS.compile(pattern);
      cache.set(pattern, re);
    }
    return re.test(text);
  });
}

/**
 * Why a `matches` pattern is refused, or undefined when it is a string literal of at most
 * `RULE_LIMITS.maxPatternLength` characters that RE2 compiles (RE2 refuses backreferences and lookaround, the
 * constructs that need backtracking, and repeat counts above 1000).
 */
export function patternProblem(pattern: string | undefined): string | undefined {
  if (pattern === undefined) {
    return 'the pattern of matches() must be a string literal (it is checked and compiled once, at load)';
  }
  if (pattern.length > RULE_LIMITS.maxPatternLength) {
    return `matches() pattern of ${pattern.length} characters exceeds the limit of ${RULE_LIMITS.maxPatternLength} (maxPatternLength)`;
  }
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `matches() pattern ${JSON.stringify(pattern)} is not a valid RE2 expression: ${why}`;
  }
}

/** Points each `matches` call at {@link RE2_MATCHES}; `calls` are the nodes the cost estimator found. */
export function useRe2(calls: readonly { readonly node: ASTNode }[]): void {
  for (const { node } of calls) {
    // The AST's public type (`rcall: [method, receiver, args]`) is a plain array: the method is resolved by name
    // when the tree is type-checked, which happens after this rename.
    if (node.op === 'rcall') node.args[0] = RE2_MATCHES;
  }
}
