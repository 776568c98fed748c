import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ChurnflowError } from '../contract/codes.js';
import type { ScoreUpdate } from '../contract/score-update.js';
import type { EngineMetrics } from '../metrics/index.js';
import { changedScoreUpdate, type OutputSink, type ScoreChanges } from '../publish/index.js';
import { STAGES, type ScoredBatch, type Scorer, type ShadowScorer } from '../score/index.js';
import type { CustomerStore } from '../state/types.js';
import type { IngestTotals } from './apply-stage.js';
import type { CustomerLifecycle, DwellExit, LifecycleEvents } from './customer-lifecycle.js';
import { joinOutputs, sliceRows } from './row-batches.js';
import { EVICT, type RowBatch } from './evaluation-rows.js';
import type { HeldUpdates } from './held-updates.js';

/** What scoring one micro-batch yields for publishing. */
export interface ScoredOutput {
  readonly updates: ScoreUpdate[];
  /** Batch rows of the updates (for the freshness histogram; -1: an update without a row, e.g. a dwell end). */
  readonly positions: number[];
  readonly events: LifecycleEvents;
  readonly sinceMs: Float64Array;
}

/** Dependencies of {@link createScoreStage}. */
export interface ScoreStageDeps {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly metrics: EngineMetrics;
  readonly clock: () => number;
  readonly store: CustomerStore;
  readonly scorer: Scorer;
  readonly published: ScoreChanges;
  readonly lifecycle: CustomerLifecycle;
  readonly totals: IngestTotals & { scoreUpdates: number };
  readonly sink: OutputSink;
  readonly shadow?: ShadowScorer;
  /** A slot's customer id, also for a customer already evicted whose last rows are still being scored. */
  readonly idOf?: (slot: number) => string;
  /** Where the score updates of backlog rows wait. */
  readonly held?: HeldUpdates;
}

/**
 * The score stage: scores a micro-batch (model, engagement, stage, BG/NBD), applies segments, stage transitions
 * and timers, decides which customers changed and explains only those; then publishes updates and lifecycle
 * events. The shadow model runs beside it and never delays or fails it.
 */
export function createScoreStage(deps: ScoreStageDeps): {
  score: (batch: RowBatch) => Promise<ScoredOutput | undefined>;
  publish: (result: ScoredOutput | undefined) => void;
  modelRef: (name: string, version: string) => Readonly<{ name: string; version: string }>;
} {
  const { config, log, metrics, clock, store, scorer, published, lifecycle, totals } = deps;
  const idOf = deps.idOf ?? ((slot: number) => store.customerId(slot));
  // One frozen object per model version, shared by every update it scores, instead of one per update.
  const modelRefs = new Map<string, Readonly<{ name: string; version: string }>>();
  const modelRef = (name: string, version: string) => {
    const key = `${name}@${version}`;
    let ref = modelRefs.get(key);
    if (ref === undefined) modelRefs.set(key, (ref = Object.freeze({ name, version })));
    return ref;
  };

  const score = async (batch: RowBatch): Promise<ScoredOutput | undefined> => {
    if (batch.slots.length === 0) return clockOnly(batch);
    const attempt = { evaluated: false };
    try {
      return await scoreOnce(batch, attempt);
    } catch (err) {
      // A model that yields NaN for some input must not stop the engine, nor decide the fate of the rows that
      // happen to share its batch: the batch is split until the failing rows stand alone, and only those are
      // skipped (counted and logged) — the same rows however the stream was batched. Anything else is fatal.
      if (!(err instanceof ChurnflowError) || err.code !== 'MODEL_INVALID' || attempt.evaluated) throw err;
      if (batch.slots.length === 1) {
        metrics.scoreFailures.inc(1);
        log.error({ err, customer: idOf(batch.slots[0] as number) }, 'model failed on a customer');
        return clockOnly(sliceRows(batch, 0, 0));
      }
      const mid = batch.slots.length >> 1;
      const first = await score(sliceRows(batch, 0, mid));
      const second = await score(sliceRows(batch, mid, batch.slots.length));
      return joinOutputs(first, second, mid, batch.sinceMs);
    }
  };

  const scoreOnce = async (batch: RowBatch, attempt: { evaluated: boolean }): Promise<ScoredOutput> => {
    const t0 = performance.now();
    // The changed customers are decided inside the scorer's call, so only they get reasons (explaining costs
    // several predictions) and with the very model that scored them.
    let changed: { updates: ScoreUpdate[]; positions: number[] } = { updates: [], positions: [] };
    let events: LifecycleEvents | undefined;
    const customerId = (slot: number) => idOf(slot);
    const scored = await scorer.score(
      batch.slots,
      (b) => {
        // From here the batch has changed memberships and stages: it must never be scored again.
        attempt.evaluated = true;
        // Segments first: a membership change is itself a reason to publish the customer's update.
        events = lifecycle.onScored(b, batch, customerId);
        changed = inStreamOrder(b, batch, events, modelRef(b.modelName, b.modelVersion));
        return changed.positions.filter((p) => p >= 0);
      },
      batch.features,
    );
    metrics.inferenceSeconds.observe((performance.now() - t0) / 1000);
    metrics.scoreBatchSize.observe(batch.slots.length);
    if (deps.shadow !== undefined) shadowScore(deps.shadow, scored);
    changed.positions.forEach((row, j) => {
      const reasons = row >= 0 ? scored.reasons?.[row] : undefined;
      if (reasons !== undefined) (changed.updates[j] as ScoreUpdate).reasons = reasons;
    });
    return { ...changed, events: events as LifecycleEvents, sinceMs: batch.sinceMs };
  };

  /** A batch without rows (the clock moved): only dwell ends can happen. */
  const clockOnly = (batch: RowBatch): ScoredOutput => {
    const model = scorer.model;
    const empty: ScoredBatch = {
      slots: [],
      churnRisk: new Float32Array(0),
      engagement: new Uint8Array(0),
      stage: new Uint8Array(0),
      features: batch.features,
      modelName: model.name,
      modelVersion: model.version,
    };
    const events = lifecycle.onScored(empty, batch, (slot) => idOf(slot));
    const changed = inStreamOrder(empty, batch, events, modelRef(model.name, model.version));
    return { ...changed, events, sinceMs: batch.sinceMs };
  };

  /**
   * The batch's score updates in stream order: before each row, the updates of members whose dwell ended by then
   * (they carry the customer's last published scores with the new segments), then the row's own update. Sequence
   * numbers follow that order, so a consumer keeping the highest `seq` ends with the latest state.
   */
  const inStreamOrder = (
    scored: ScoredBatch,
    rows: RowBatch,
    events: LifecycleEvents,
    model: Readonly<{ name: string; version: string }>,
  ): { updates: ScoreUpdate[]; positions: number[] } => {
    const updates: ScoreUpdate[] = [];
    const positions: number[] = [];
    const customerId = (slot: number) => idOf(slot);
    const ctx = {
      customerId,
      model,
      eventTime: rows.atMs,
      segments: (_slot: number, row: number) => {
        const mask = events.masks[row] as number;
        return { mask, names: lifecycle.namesOf(mask) };
      },
    };
    let d = 0;
    const exits = events.dwellExits;
    const held = deps.held;
    for (let i = 0; i <= scored.slots.length; i++) {
      for (; d < exits.length && (exits[d] as DwellExit).beforeRow === i; d++) {
        const exit = exits[d] as DwellExit;
        // A dwell end before a backlog row is part of the backlog too.
        if (held !== undefined && i < rows.backlog.length && rows.backlog[i] === 1) {
          held.hold(exit.slot, exit.atMs);
          continue;
        }
        const update = dwellUpdate(exit, model);
        if (update === undefined) continue;
        updates.push(update);
        positions.push(-1);
      }
      if (i === scored.slots.length) break;
      const slot = scored.slots[i] as number;
      if (rows.kind[i] === EVICT) {
        held?.drop(slot);
        updates.push(evictUpdate(slot, rows.atMs[i] as number, model));
        positions.push(-1);
        continue;
      }
      if (held !== undefined && rows.backlog[i] === 1) {
        held.hold(slot, rows.atMs[i] as number);
        continue;
      }
      // This row's update supersedes a held one (published now, or equal to what was published).
      held?.drop(slot);
      const update = changedScoreUpdate(scored, i, published, ctx);
      if (update === undefined) continue;
      updates.push(update);
      positions.push(i);
    }
    return { updates, positions };
  };

  /** The update of a customer whose segments changed when a dwell ended: last published scores, new segments. */
  const dwellUpdate = (exit: DwellExit, model: Readonly<{ name: string; version: string }>) => {
    const stageIndex = published.stage(exit.slot);
    const risk = published.risk(exit.slot);
    if (stageIndex < 0 || Number.isNaN(risk)) return undefined; // never published: nothing to correct
    if (!published.changed(exit.slot, risk, published.engagement(exit.slot), stageIndex, exit.mask))
      return undefined;
    return lastPublished(exit.slot, exit.atMs, published.seq(exit.slot), lifecycle.namesOf(exit.mask), model);
  };

  /** An update that carries the customer's last published scores (nothing was scored for it). */
  const lastPublished = (
    slot: number,
    atMs: number,
    seq: number,
    segments: string[],
    model: Readonly<{ name: string; version: string }>,
  ): ScoreUpdate => {
    const risk = published.risk(slot);
    return {
      customerId: idOf(slot),
      seq,
      eventTime: atMs,
      churnRisk: Number.isNaN(risk) ? 1 : risk,
      engagement: Math.max(0, published.engagement(slot)),
      stage: STAGES[published.stage(slot)] ?? 'churned',
      segments,
      reasons: [],
      model,
    };
  };

  const publishLifecycle = (events: LifecycleEvents): void => {
    if (events.segmentChanges.length > 0) {
      deps.sink.publishSegmentChanges(events.segmentChanges);
      for (const c of events.segmentChanges) metrics.segmentChanges.inc({ segment: c.segment, kind: c.kind });
    }
    if (events.stageTransitions.length > 0) {
      deps.sink.publishStageTransitions(events.stageTransitions);
      for (const t of events.stageTransitions) metrics.stageTransitions.inc({ stage: t.to });
    }
  };

  /** The challenger copies the batch at once and runs beside the champion; it never delays or fails it. */
  const shadowScore = (shadow: ShadowScorer, scored: ScoredBatch): void => {
    const slots = scored.slots;
    const run = shadow.score(scored.features, slots.length, scored.churnRisk).then((outcome) => {
      if (outcome.kind === 'failed')
        log.warn({ err: outcome.error, model: shadow.model.name }, 'shadow model failed');
      if (
        outcome.kind !== 'scored' ||
        !config.score.publishShadow ||
        deps.sink.publishShadowScores === undefined
      )
        return;
      const model = modelRef(shadow.model.name, shadow.model.version);
      deps.sink.publishShadowScores(
        slots.map((slot, i) => ({
          customerId: idOf(slot),
          churnRisk: outcome.scores[i] as number,
          model,
        })),
      );
    });
    // Publishing may throw once the connection drains at shutdown: never an unhandled rejection.
    run.catch((err: unknown) => log.warn({ err }, 'shadow scores not published'));
  };

  const publish = (result: ScoredOutput | undefined): void => {
    if (result === undefined) return;
    const { updates, positions, sinceMs, events } = result;
    publishLifecycle(events);
    if (updates.length === 0) return;
    deps.sink.publishScores(updates);
    totals.scoreUpdates += updates.length;
    metrics.scoreUpdates.inc(updates.length);
    const now = clock();
    for (const p of positions) {
      const since = p < 0 ? Number.NaN : (sinceMs[p] as number);
      if (!Number.isNaN(since)) metrics.eventToScoreSeconds.observe(Math.max(0, now - since) / 1000);
    }
  };

  /**
   * The last update of a customer evicted for silence, at its eviction row (its last row): the last published
   * scores, no segments, `evicted: true`; then its memberships, stage and published state are dropped.
   */
  const evictUpdate = (slot: number, atMs: number, model: Readonly<{ name: string; version: string }>) => {
    const update: ScoreUpdate = {
      ...lastPublished(slot, atMs, published.nextSeq(slot), [], model),
      evicted: true,
    };
    lifecycle.forget(slot);
    published.forget(slot);
    metrics.evicted.inc();
    return update;
  };

  return { score, publish, modelRef };
}
