import type { ASTNode } from '@marcbachmann/cel-js';

/** A segment rule as written in the rules file (`config/segments.json`). */
export interface SegmentRuleSpec {
  /** Segment name `[a-z0-9_]{1,64}`: it becomes a NATS subject token (`churnflow.segments.<name>.entered`). */
  readonly name: string;
  /** What the segment means, for people. */
  readonly description?: string;
  /** CEL expression; a customer who is not a member enters when it is true. */
  readonly enter: string;
  /** CEL expression; a member leaves when it is true (after `minDwellMs`). @default `!(enter)` */
  readonly exit?: string;
  /** Minimum time (event-time milliseconds) a member stays before `exit` may remove it. @default 0 */
  readonly minDwellMs?: number;
}

/** How a compiled expression's top-level clauses combine, for change reasons. */
export type ClauseMode = 'all' | 'any';

/** One compiled CEL expression with its top-level clauses. */
/** A compiled predicate over the segment variables: a closure (see fast-rule.ts) or cel-js's evaluator. */
export type RuleFunction = ((act: SegmentActivation) => unknown) & { readonly ast: ASTNode };

export interface CompiledExpression {
  /** The source text. */
  readonly source: string;
  /** The compiled predicate (called with the activation object), with the syntax tree it was compiled from. */
  readonly fn: RuleFunction;
  /**
   * `all`: the clauses of a top-level `&&` chain (all held when the expression is true);
   * `any`: the disjuncts of a top-level `||` chain (the true ones are the reason).
   */
  readonly mode: ClauseMode;
  /** The clauses, each compiled on its own, with their source text (one clause when neither chain). */
  readonly clauses: readonly { readonly source: string; readonly fn: RuleFunction }[];
  /** True when the expression is `!(enter)` generated for a rule without `exit` (clauses are enter's). */
  readonly negated: boolean;
}

/** A rule checked and compiled at load. */
export interface CompiledSegmentRule {
  readonly name: string;
  readonly description: string;
  /** Position in the rule set: the bit of the membership mask. */
  readonly index: number;
  readonly enter: CompiledExpression;
  /** The exit expression; `negated` when it is the default `!(enter)`. */
  readonly exit: CompiledExpression;
  /** @default 0 */
  readonly minDwellMs: number;
  /**
   * True when the rule reads `pAlive`, `expectedPurchases` or `predictedClv`: it neither enters nor exits
   * without them.
   */
  readonly usesBaseline: boolean;
  /** True when the rule reads `predictedClv` (absent when the model has no Gamma-Gamma parameters). */
  readonly usesClv: boolean;
}

/** The compiled rules of one rules file, at most 32 (one bit each in a Uint32 mask). */
export interface SegmentRuleSet {
  /** The file they came from (or a label), for errors and logs. */
  readonly file: string;
  readonly rules: readonly CompiledSegmentRule[];
  /** The variables any rule reads: only these are written into the activation per row. */
  readonly variables: readonly string[];
}

/** A membership flip, as published on `churnflow.segments.<segment>.entered|exited`. */
export interface SegmentChange {
  /** Segment name. */
  readonly segment: string;
  readonly customerId: string;
  /** The customer's slot in the engine's store (internal; not for publishing). */
  readonly slot: number;
  readonly kind: 'entered' | 'exited';
  /**
   * The top-level clauses of the deciding expression that held, as source text: for `a && b` all of them,
   * for `a || b` the true disjuncts; for a default exit, the enter clauses that failed, as `!(clause)`.
   */
  readonly reason: readonly string[];
  /** Time in the prior state, event-time milliseconds (since the customer was first evaluated when never flipped). */
  readonly dwellMs: number;
  /** Event time of the evaluation that flipped it, epoch milliseconds. */
  readonly eventTime: number;
  /**
   * `${segment}:${customerId}:${kind}:${eventTime}:${n}` (n: the customer's flip count): the same flip re-derived
   * on replay, however the stream is batched, has the same key.
   */
  readonly idempotencyKey: string;
  /** The customer's membership bitmask right after this flip (what its score update carries). */
  readonly maskAfter: number;
}

/**
 * The scores of a batch, columnar by row (as the scorer produces them, {@link ScoredBatch}).
 * `pAlive` and `expectedPurchases` are absent when the model carries no BG/NBD parameters.
 */
export interface SegmentScores {
  /** P(churn) per row, 0..1. */
  readonly churnRisk: Float32Array;
  /** Engagement per row, 0..100. */
  readonly engagement: Uint8Array;
  /** Stage per row, as an index into STAGES. */
  readonly stage: Uint8Array;
  readonly pAlive?: Float32Array;
  readonly expectedPurchases?: Float32Array;
  /** Absent when the model carries no Gamma-Gamma parameters. */
  readonly predictedClv?: Float32Array;
}

/** The variables a rule sees for one customer: features by name, scores, stage (a string). */
export type SegmentActivation = Record<string, number | string>;
