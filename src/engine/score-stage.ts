import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ChurnflowError } from '../contract/codes.js';
import type { ScoreUpdate } from '../contract/score-update.js';
import type { EngineMetrics } from '../metrics/index.js';
import { changedScoreUpdates, type OutputSink, type ScoreChanges } from '../publish/index.js';
import type { MicroBatch } from '../rx/index.js';
import type { ScoredBatch, Scorer, ShadowScorer } from '../score/index.js';
import type { CustomerStore } from '../state/types.js';
import type { IngestTotals } from './apply-stage.js';
import type { CustomerLifecycle, LifecycleEvents } from './customer-lifecycle.js';

/** What scoring one micro-batch yields for publishing. */
export interface ScoredOutput {
  readonly updates: ScoreUpdate[];
  /** Batch rows of the updates (for the freshness histogram). */
  readonly positions: number[];
  readonly events: LifecycleEvents;
  readonly sinceMs: readonly number[];
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
}

/**
 * The score stage: scores a micro-batch (model, engagement, stage, BG/NBD), applies segments, stage transitions
 * and timers, decides which customers changed and explains only those; then publishes updates and lifecycle
 * events. The shadow model runs beside it and never delays or fails it.
 */
export function createScoreStage(deps: ScoreStageDeps): {
  score: (batch: MicroBatch) => Promise<ScoredOutput | undefined>;
  publish: (result: ScoredOutput | undefined) => void;
  modelRef: (name: string, version: string) => Readonly<{ name: string; version: string }>;
} {
  const { config, log, metrics, clock, store, scorer, published, lifecycle, totals } = deps;
  // One frozen object per model version, shared by every update it scores, instead of one per update.
  const modelRefs = new Map<string, Readonly<{ name: string; version: string }>>();
  const modelRef = (name: string, version: string) => {
    const key = `${name}@${version}`;
    let ref = modelRefs.get(key);
    if (ref === undefined) modelRefs.set(key, (ref = Object.freeze({ name, version })));
    return ref;
  };

  const score = async (batch: MicroBatch): Promise<ScoredOutput | undefined> => {
    const eventTime = store.watermarkMs;
    const t0 = performance.now();
    try {
      // The changed customers are decided inside the scorer's call, so only they get reasons (explaining costs
      // several predictions) and with the very model that scored them.
      let changed: { updates: ScoreUpdate[]; positions: number[] } = { updates: [], positions: [] };
      let events: LifecycleEvents = { segmentChanges: [], stageTransitions: [] };
      const customerId = (slot: number) => store.customerId(slot);
      const scored = await scorer.score(batch.keys, (b) => {
        // Segments first: a membership change is itself a reason to publish the customer's update.
        events = lifecycle.onScored(b, eventTime, customerId);
        changed = changedScoreUpdates(b, published, {
          customerId,
          model: modelRef(b.modelName, b.modelVersion),
          eventTime,
          segments: (slot) => lifecycle.segmentsOf(slot),
        });
        return changed.positions;
      });
      metrics.inferenceSeconds.observe((performance.now() - t0) / 1000);
      metrics.scoreBatchSize.observe(batch.keys.length);
      if (deps.shadow !== undefined) shadowScore(deps.shadow, scored);
      changed.positions.forEach((row, j) => {
        const reasons = scored.reasons?.[row];
        if (reasons !== undefined) (changed.updates[j] as ScoreUpdate).reasons = reasons;
      });
      return { ...changed, events, sinceMs: batch.sinceMs };
    } catch (err) {
      // A model that yields NaN for some input must not stop the engine: the batch keeps its last published
      // scores, the failure is counted and logged; anything else is a fatal fault.
      if (!(err instanceof ChurnflowError) || err.code !== 'MODEL_INVALID') throw err;
      metrics.scoreFailures.inc(batch.keys.length);
      log.error(
        { err, customers: batch.keys.length, model: scorer.model.name },
        'model failed on a micro-batch',
      );
      return undefined;
    }
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
          customerId: store.customerId(slot),
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
      const since = sinceMs[p] as number;
      if (!Number.isNaN(since)) metrics.eventToScoreSeconds.observe(Math.max(0, now - since) / 1000);
    }
  };

  return { score, publish, modelRef };
}
