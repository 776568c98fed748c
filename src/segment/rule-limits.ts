/**
 * The bounds every segment rule is held to, in the segments file and in a dry run alike (both compile through
 * `compileExpression`). A rule is untrusted input: it runs for every scored customer (and for every customer in
 * a dry run), so its size, shape and evaluation cost are refused above these before it is ever evaluated.
 *
 * Why these numbers: the default pack's rules are at most 111 bytes, 19 AST nodes, 5 deep and of estimated cost
 * 19 (146 for the whole file); a hand-written giant, a 30-clause `&&` chain, is 706 bytes, 119 nodes, 31 deep,
 * cost 119; `stage in [...]` over all nine stages costs 156. The limits leave 2x (depth: a 63-clause chain) to 8x
 * (cost) over that giant and about 27x over the default pack for a file. The most expensive rules they admit
 * evaluate in about 60 µs (about 60 ns per unit of estimated cost at worst in cel-js on the reference machine),
 * so one evaluation never stalls a micro-batch or a dry-run slice, and a file at its limit costs the scorer about
 * 0.25 ms per customer rather than seconds.
 */
export const RULE_LIMITS = {
  /** Longest expression source, UTF-8 bytes (the request layer's `requests.maxRuleLength` agrees). */
  maxSourceBytes: 4096,
  /** Most AST nodes in one expression (the parser's own count, macros before expansion). */
  maxAstNodes: 500,
  /**
   * Deepest nesting: of the AST (a 60-clause `&&` chain is 61 deep) and of the parser's recursion (parentheses,
   * calls, member access), which cel-js stops at this depth.
   */
  maxDepth: 64,
  /** Most comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) nested inside one another. */
  maxComprehensionNesting: 2,
  /** Most elements in one list literal, and entries in one map literal. */
  maxListElements: 256,
  /** Highest estimated evaluation cost of one expression (see rule-cost.ts for the units). */
  maxCost: 1000,
  /** Highest total estimated cost per customer of a rules file: the sum over segments of max(enter, exit). */
  maxFileCost: 4000,
  /** Longest `matches()` pattern, characters (the pattern must be a string literal, compiled by RE2 at load). */
  maxPatternLength: 256,
  /** Largest segments file, bytes: 32 segments of two 4 KiB rules and their descriptions fit many times. */
  maxFileBytes: 1024 * 1024,
} as const;

/**
 * The size the cost estimator assumes for a list or string it cannot bound from the rule's structure: no value
 * in a rule is written longer than its source, and every variable is a number or a short stage name.
 */
export const UNBOUNDED_SIZE = RULE_LIMITS.maxSourceBytes;

/** The longest value `stage` can take (`first_purchase`): the bound on a string read from a variable. */
export const STAGE_MAX_LENGTH = 14;
