import type { SegmentChange as SegmentChangePayload, StageTransition } from '../contract/lifecycle-events.js';
import { createStageTransitions } from '../publish/stage-transitions.js';
import type { BaselineHorizon, ChurnModel, ScoredBatch } from '../score/index.js';
import { createSegmentMembership, type DryRunResult, type SegmentRuleSet } from '../segment/index.js';
import { createDryRunScan, type DryRunOptions } from './dry-run-scan.js';
import type { SegmentChange } from '../segment/types.js';
import type { CustomerStore } from '../state/types.js';
import type { ScoreChanges } from '../publish/index.js';
import { EVICT, type RowBatch } from './evaluation-rows.js';
import type { StateReader, StateWriter } from '../snapshot/state-io.js';

/** What the lifecycle layer produced for one scored batch, ready to publish. */
export interface LifecycleEvents {
  readonly segmentChanges: SegmentChangePayload[];
  readonly stageTransitions: StageTransition[];
  /** Each row's segment bitmask right after its evaluation (what its score update carries). */
  readonly masks: Uint32Array;
  /**
   * Customers whose segments changed because a minimum dwell ended: at what time, their new mask, and the row
   * they came before (rows.length: after the last), so updates keep stream order.
   */
  readonly dwellExits: DwellExit[];
}

/** A membership that ended with its minimum dwell, between two rows of a scored batch. */
export interface DwellExit {
  readonly slot: number;
  readonly atMs: number;
  readonly mask: number;
  readonly beforeRow: number;
}

/** A segment as `churnflow.segments.list` describes it. */
export interface SegmentSummary {
  readonly name: string;
  readonly description: string;
  readonly enter: string;
  readonly exit: string;
  readonly minDwellMs: number;
  readonly size: number;
}

/**
 * Segments, stage transitions and timers around scoring: memberships with hysteresis and dwell, a deadline per
 * customer (the next moment a rule threshold or a window can change for them without any event), and what an
 * operator can ask about segments (list, dry run).
 */
export interface CustomerLifecycle {
  /**
   * Evaluates segments and stage for a scored batch, row by row in stream order, each at its own event time;
   * members whose minimum dwell ended leave in between, never ahead of one of their own evaluations.
   */
  onScored(batch: ScoredBatch, rows: RowBatch, customerId: (slot: number) => string): LifecycleEvents;
  /** The customer's segments now: bitmask (compared) and names (published). */
  segmentsOf(slot: number): { mask: number; names: string[] };
  /** Segment names of a bitmask, in rule order. */
  namesOf(mask: number): string[];
  /** The earliest pending dwell end (an idle engine ticks the clock to it), Infinity when none. */
  earliestDwellEnd(): number;
  /** Forgets a customer (erase, slot reuse): memberships, stage, counters; no events. */
  forget(slot: number): void;
  /** Writes memberships and stages of slots `from` to `to` for a snapshot. */
  saveState(segments: StateWriter, stages: StateWriter, from: number, to: number): void;
  /** Takes a snapshot's memberships and stages; false when the snapshot was taken under other rules. */
  loadState(segments: StateReader, stages: StateReader): boolean;
  /** New rules in force; returns every customer to re-score so memberships follow at once. */
  swapRules(rules: SegmentRuleSet): number[];
  segments(): SegmentSummary[];
  /**
   * How many customers a proposed rule matches now, with a sample (at most 100 ids); nothing is activated. Runs in
   * time-budgeted slices, times out and can be cancelled: see `createDryRunScan`.
   */
  dryRun(
    rule: string,
    sampleSize: number,
    model: ChurnModel,
    horizon: BaselineHorizon,
    options?: DryRunOptions,
  ): Promise<DryRunResult>;
}

/** Creates the {@link CustomerLifecycle} over the engine's store and published scores. */
export function createCustomerLifecycle(
  rules: SegmentRuleSet,
  store: CustomerStore,
  published: ScoreChanges,
): CustomerLifecycle {
  const membership = createSegmentMembership(rules);
  const transitions = createStageTransitions();
  const toPayload = (c: SegmentChange): SegmentChangePayload => ({
    customerId: c.customerId,
    segment: c.segment,
    kind: c.kind,
    prior: c.kind === 'exited',
    member: c.kind === 'entered',
    reason: [...c.reason],
    dwellMs: c.dwellMs,
    eventTime: c.eventTime,
    idempotencyKey: c.idempotencyKey,
  });

  return {
    onScored(batch, rows, customerId) {
      const n = batch.slots.length;
      const changes: SegmentChange[] = [];
      const stageTransitions: StageTransition[] = [];
      const masks = new Uint32Array(n);
      const dwellExits: DwellExit[] = [];
      const record = (exits: SegmentChange[], beforeRow: number): void => {
        for (const c of exits) {
          changes.push(c);
          dwellExits.push({ slot: c.slot, atMs: c.eventTime, mask: c.maskAfter, beforeRow });
        }
      };
      // A dwell end may happen once no evaluation still to come is earlier: before row i, that is the earliest
      // time among rows i.. and everything after the batch. Per customer the order is then time order, the same
      // however the rows were cut into batches.
      const horizon = new Float64Array(n + 1);
      horizon[n] = rows.laterMinMs;
      for (let i = n - 1; i >= 0; i--)
        horizon[i] = Math.min(rows.atMs[i] as number, horizon[i + 1] as number);
      for (let i = 0; i < n; i++) {
        const slot = batch.slots[i] as number;
        const atMs = rows.atMs[i] as number;
        record(membership.dwellEnded(horizon[i] as number, customerId), i);
        record(membership.dwellEndedOf(slot, atMs, customerId), i);
        // An eviction row: the customer leaves with what it has (its last update is the score stage's).
        if (rows.kind[i] === EVICT) continue;
        membership.evaluateRow(slot, i, batch.features, batch, atMs, customerId, changes);
        masks[i] = membership.maskOf(slot);
        const t = transitions.observe(slot, customerId(slot), batch.stage[i] as number, atMs);
        if (t !== undefined) stageTransitions.push(t);
      }
      record(membership.dwellEnded(rows.laterMinMs, customerId), n);
      return { segmentChanges: changes.map(toPayload), stageTransitions, masks, dwellExits };
    },
    segmentsOf: (slot) => ({ mask: membership.maskOf(slot), names: membership.segmentsOf(slot) }),
    namesOf: (mask) => membership.namesOf(mask),
    earliestDwellEnd: () => membership.earliestDwellEnd(),
    forget(slot) {
      membership.forget(slot);
      transitions.forget(slot);
    },
    saveState(segments, stages, from, to) {
      membership.saveState(segments, from, to);
      transitions.saveState(stages, from, to);
    },
    loadState(segments, stages) {
      transitions.loadState(stages);
      return membership.loadState(segments);
    },
    swapRules(next) {
      membership.swapRules(next);
      return membership.slotsToRecheck();
    },
    segments() {
      const sizes = membership.sizes();
      return membership.ruleSet.rules.map((r) => ({
        name: r.name,
        description: r.description,
        enter: r.enter.source,
        exit: r.exit.source,
        minDwellMs: r.minDwellMs,
        size: sizes[r.name] ?? 0,
      }));
    },
    // Slices with a wall-time budget, a timeout, cancellation, one at a time: its own file.
    dryRun: createDryRunScan(store, published),
  };
}
