import type { SegmentChange as SegmentChangePayload, StageTransition } from '../contract/lifecycle-events.js';
import { createStageTransitions } from '../publish/stage-transitions.js';
import {
  bgnbdColumns,
  engagementScore,
  STAGE_THRESHOLDS,
  type ChurnModel,
  type ScoredBatch,
} from '../score/index.js';
import {
  createActivation,
  createSegmentMembership,
  dryRunRule,
  planActivation,
  recencyThresholds,
  SEGMENT_VARIABLES,
  writeActivation,
  type DryRunResult,
  type DryRunRow,
  type SegmentRuleSet,
} from '../segment/index.js';
import { createDeadlineScheduler, nextDeadline } from '../segment/timers.js';
import { FEATURE_COUNT } from '../state/feature-catalog.js';
import type { CustomerStore } from '../state/types.js';
import type { ScoreChanges } from '../publish/index.js';

/** What the lifecycle layer produced for one scored batch, ready to publish. */
export interface LifecycleEvents {
  readonly segmentChanges: SegmentChangePayload[];
  readonly stageTransitions: StageTransition[];
}

/** Customers evaluated per turn of the event loop by a dry run. */
const DRY_RUN_SLICE = 20_000;

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
  /** Evaluates segments and stage for a scored batch and re-arms each customer's timer. */
  onScored(batch: ScoredBatch, eventTime: number, customerId: (slot: number) => string): LifecycleEvents;
  /** The customer's segments for a score update: bitmask (compared) and names (published). */
  segmentsOf(slot: number): { mask: number; names: string[] };
  /** Customers whose timer is due at this watermark (removed from the schedule). */
  due(watermarkMs: number): number[];
  /** Pending timers. */
  readonly pendingTimers: number;
  /** New rules in force; returns every customer to re-score so memberships follow at once. */
  swapRules(rules: SegmentRuleSet): number[];
  segments(): SegmentSummary[];
  /** How many customers a proposed rule matches now, with a sample; nothing is activated. */
  dryRun(
    rule: string,
    sampleSize: number,
    model: ChurnModel,
    bgnbdHorizonDays: number,
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
  const deadlines = createDeadlineScheduler();
  // Stage rules that flip with silence alone, as thresholds on recency features.
  const stageThresholds = [
    { feature: 'days_since_last_activity', days: STAGE_THRESHOLDS.lapsedInactiveDays },
    { feature: 'days_since_last_activity', days: STAGE_THRESHOLDS.churnedInactiveDays },
    { feature: 'days_since_last_purchase', days: STAGE_THRESHOLDS.lapsedNoPurchaseDays },
  ];
  let thresholds = [...stageThresholds, ...recencyThresholds(rules)];

  return {
    onScored(batch, eventTime, customerId) {
      const rows = batch.slots.length;
      const segmentChanges = membership
        .evaluate(batch.slots, rows, batch.features, batch, eventTime, customerId)
        .map((c) => ({
          customerId: c.customerId,
          segment: c.segment,
          kind: c.kind,
          prior: c.kind === 'exited',
          member: c.kind === 'entered',
          reason: [...c.reason],
          dwellMs: c.dwellMs,
          eventTime: c.eventTime,
          idempotencyKey: c.idempotencyKey,
        }));
      const stageTransitions: StageTransition[] = [];
      for (let i = 0; i < rows; i++) {
        const slot = batch.slots[i] as number;
        const t = transitions.observe(slot, customerId(slot), batch.stage[i] as number, eventTime);
        if (t !== undefined) stageTransitions.push(t);
        const next = nextDeadline(batch.features, i * FEATURE_COUNT, eventTime, thresholds);
        // A member kept in by its minimum dwell may leave the moment the dwell ends.
        deadlines.schedule(slot, Math.min(next, membership.dwellEndsAt(slot, eventTime)));
      }
      return { segmentChanges, stageTransitions };
    },
    segmentsOf: (slot) => ({ mask: membership.maskOf(slot), names: membership.segmentsOf(slot) }),
    due: (watermarkMs) => deadlines.due(watermarkMs),
    get pendingTimers() {
      return deadlines.size;
    },
    swapRules(next) {
      membership.swapRules(next);
      thresholds = [...stageThresholds, ...recencyThresholds(next)];
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
    async dryRun(rule, sampleSize, model, bgnbdHorizonDays) {
      // In slices with a turn of the event loop between them: a million customers take seconds, and the stream
      // must keep flowing meanwhile. The rule is checked (and refused) before any customer is read.
      const total = { matches: 0, evaluated: 0, sample: [] as string[] };
      for (let from = 0; from === 0 || from < store.slotEnd; from += DRY_RUN_SLICE) {
        const rows = dryRunRows(store, published, model, bgnbdHorizonDays, from, from + DRY_RUN_SLICE);
        const part = dryRunRule(rule, rows, sampleSize - total.sample.length);
        total.matches += part.matches;
        total.evaluated += part.evaluated;
        total.sample.push(...part.sample);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return total;
    },
  };
}

/**
 * Every live customer as a rule sees it now: features at the watermark, last published risk and stage,
 * engagement and BG/NBD from the features. One activation object is reused: each row is evaluated before the next.
 */
function* dryRunRows(
  store: CustomerStore,
  published: ScoreChanges,
  model: ChurnModel,
  horizonDays: number,
  fromSlot: number,
  toSlot: number,
): Generator<DryRunRow> {
  const plan = planActivation(SEGMENT_VARIABLES);
  const features = new Float32Array(FEATURE_COUNT);
  const activation = createActivation();
  for (let slot = fromSlot; slot < Math.min(toSlot, store.slotEnd); slot++) {
    if (!store.isLive(slot)) continue;
    store.features(slot, store.watermarkMs, features, 0);
    const risk = published.risk(slot);
    const scores = {
      churnRisk: Float32Array.of(Number.isNaN(risk) ? 0 : risk),
      engagement: Uint8Array.of(engagementScore(features, 0)),
      stage: Uint8Array.of(Math.max(0, published.stage(slot))),
      ...bgnbdColumns(model, features, 1, horizonDays),
    };
    writeActivation(activation, plan, features, scores, 0);
    yield { customerId: store.customerId(slot), activation };
  }
}
