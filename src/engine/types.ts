import type { Observable, SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { ScoreUpdate } from '../contract/score-update.js';
import type { InboundBatch } from '../ingest/types.js';
import type { EngineMetrics } from '../metrics/index.js';
import type { OutputSink, ScoreChanges } from '../publish/index.js';
import type { FlowGate } from '../rx/index.js';
import type { ShadowScorer } from '../score/index.js';
import type { ChurnModel } from '../score/types.js';
import type { DryRunResult, SegmentRuleSet } from '../segment/index.js';
import type { SnapshotContent } from '../snapshot/format.js';
import type { CustomerStore } from '../state/types.js';
import type { Aggregates } from './aggregates.js';
import type { IngestTotals } from './apply-stage.js';
import type { SegmentSummary } from './customer-lifecycle.js';

/** The engine's lifecycle, held in one place. */
export type EngineState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** What the engine is built from; everything cross-cutting is handed in. */
export interface EngineDeps {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly metrics: EngineMetrics;
  readonly source: Observable<InboundBatch>;
  readonly sink: OutputSink;
  readonly model: ChurnModel;
  /** A challenger scored in shadow on the same micro-batches; its scores never reach score updates. */
  readonly shadow?: ShadowScorer;
  /** Segment rules in force at start (default: none); replace them with `swapSegmentRules`. */
  readonly segments?: SegmentRuleSet;
  /** Wall clock (default Date.now). */
  readonly clock?: () => number;
  /** Scheduler for micro-batch delays and idle ticks (default asyncScheduler). */
  readonly scheduler?: SchedulerLike;
  /**
   * Writes a clock tick into the event stream (`<prefix>.$clock.tick`) when the engine is idle and a timer is due;
   * the engine's clock moves when it reads the tick back, so replays fire timers at the same place; resolves to
   * false when it wrote none (messages still wait in the stream). Without it (file and in-process sources) time
   * moves by events only.
   */
  readonly publishTick?: (atMs: number) => Promise<boolean>;
  /** Back-pressure to the source: told the scoring backlog after every batch applied or scored. */
  readonly flow?: FlowGate;
  /**
   * The partition this engine owns (src/partitions): its events are on `<eventPrefix>.<customer token>.<type>`
   * and an event whose token hashes elsewhere is dead-lettered (`wrong_partition`). Absent: one engine owns every
   * customer, on `ingest.subjectPrefix`.
   */
  readonly partition?: { readonly index: number; readonly count: number; readonly eventPrefix: string };
  /** A snapshot to start from (see src/snapshot): the consumer resumes right after its stream sequence. */
  readonly restore?: { readonly content: SnapshotContent; readonly name: string };
}

/** A running engine. */
export interface Engine {
  readonly state: EngineState;
  readonly store: CustomerStore;
  /** Last published scores per customer slot. */
  readonly published: ScoreChanges;
  readonly totals: Readonly<IngestTotals & { scoreUpdates: number }>;
  /** The timer clock: max event time applied and clock tick read (epoch ms). */
  readonly clockMs: number;
  /** Evaluations waiting to be scored. */
  readonly backlog: number;
  /**
   * Everything the engine keeps, for a snapshot: ingestion pauses (the flow gate holds) until nothing is applied but
   * unscored, the state is copied, and ingestion resumes; the copy covers every message up to its `streamSeq`.
   */
  capture(partition?: number): Promise<SnapshotContent>;
  /**
   * Erases a customer (GDPR): at a quiet moment, its state, memberships, stage, timers and published scores are
   * dropped without any event, and its slot is freed. Resolves to the `seq` its tombstone carries (one above its last
   * update), or undefined when the customer is unknown. Purging its events and snapshots is the caller's part.
   */
  erase(customerId: string): Promise<number | undefined>;
  /** Resolves when the pipeline has ended (after stop(), or rejects when it failed). */
  readonly done: Promise<void>;
  /** Stops taking input, scores and publishes what is in flight, flushes the sink. */
  stop(): Promise<void>;
  /**
   * Swaps the champion model between micro-batches; resolves to the old model once no batch uses it (the caller
   * disposes it).
   */
  swapModel(model: ChurnModel): Promise<ChurnModel>;
  /** Puts new segment rules in force and re-scores every customer so memberships follow at once. */
  swapSegmentRules(rules: SegmentRuleSet): void;
  /** One customer's features, scores, segments, stage, reasons and model; undefined when unknown. */
  profile(customerId: string): Promise<CustomerProfile | undefined>;
  /** Segments with their rules and sizes. */
  segments(): SegmentSummary[];
  /**
   * How many customers a proposed rule matches now, with a sample (at most 100 ids); the rule is not activated. In
   * time-budgeted slices; rejects with DRY_RUN_TIMEOUT after segments.dryRunTimeoutMs, with DRY_RUN_CANCELLED when
   * `signal` aborts or the engine stops.
   */
  dryRun(
    rule: string,
    sampleSize: number,
    options?: { readonly signal?: AbortSignal },
  ): Promise<DryRunResult>;
  /** The last completed pass of the live aggregates. */
  aggregates(): Aggregates;
}

/** A customer as `churnflow.customers.get` returns it. */
export interface CustomerProfile {
  readonly found: true;
  readonly customerId: string;
  /** Event time the profile reflects (the engine's clock), epoch ms. */
  readonly eventTime: number;
  readonly features: Record<string, number>;
  readonly churnRisk: number;
  readonly engagement: number;
  readonly stage: string;
  readonly segments: string[];
  readonly reasons: ScoreUpdate['reasons'];
  readonly model: { readonly name: string; readonly version: string };
  readonly pAlive?: number;
  readonly expectedPurchases?: number;
  readonly predictedClv?: number;
  /** Sequence number of the last score update published for the customer (0: none yet). */
  readonly seq: number;
}
