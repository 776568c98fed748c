import type { Rejection } from '../decode/types.js';
import type { ScoreUpdate } from '../contract/score-update.js';
import type { SegmentChange, StageTransition } from '../contract/lifecycle-events.js';

/**
 * Where the engine's output goes: score updates and dead letters. Implementations: NATS, file, console.
 */
export interface OutputSink {
  /** Publishes score updates (buffered; not awaited per update). */
  publishScores(updates: readonly ScoreUpdate[]): void;
  /** Publishes segment enter/exit events (`<prefix>.segments.<segment>.entered|exited`). */
  publishSegmentChanges(changes: readonly SegmentChange[]): void;
  /** Publishes lifecycle stage transitions (`<prefix>.stages.<stage>.entered`). */
  publishStageTransitions(transitions: readonly StageTransition[]): void;
  /** Publishes a challenger's scores (never mixed with score updates); sinks without a shadow channel omit it. */
  publishShadowScores?(scores: readonly ShadowScore[]): void;
  /**
   * Dead-letters rejected messages; resolves once they are stored, so the caller may then acknowledge the
   * originals without losing anything.
   */
  deadLetter(rejections: readonly Rejection[]): Promise<void>;
  /** Resolves when everything published so far has left the process. */
  flush(): Promise<void>;
  /** Flushes and releases what the sink holds (files); the sink is not used afterwards. */
  close(): Promise<void>;
}

/** One challenger score, published on `<prefix>.shadow.scores.<customer token>`. */
export interface ShadowScore {
  readonly customerId: string;
  readonly churnRisk: number;
  readonly model: { readonly name: string; readonly version: string };
}
