import { catalogIndex } from '../contract/catalog.js';
import type { DecodedBatch, DecodedEvent, Rejection } from '../decode/types.js';
import type { EngineMetrics } from '../metrics/index.js';
import { storeDeadLetters, type OutputSink } from '../publish/index.js';
import { DUPLICATE, REJECTED } from '../state/index.js';
import type { CustomerStore } from '../state/types.js';
import type { Logger } from '../log/index.js';
import type { EvaluationPlanner } from './evaluation-planner.js';

/** Running totals the console summary and tests read. */
export interface IngestTotals {
  events: number;
  deadLetters: number;
  duplicates: number;
  /** Wall-clock ms of the last batch that carried any message (0: none yet); the idle ticker reads it. */
  lastMessageWallMs: number;
  /** The highest stream sequence of every batch applied so far (what a snapshot covers). */
  lastStreamSeq: number;
  /** Messages the source still had after the last batch applied (0 when it cannot tell): the backlog. */
  pendingBehind: number;
}

/** Dependencies of {@link createApplyStage}. */
export interface ApplyStageDeps {
  readonly store: CustomerStore;
  readonly planner: EvaluationPlanner;
  readonly sink: OutputSink;
  readonly metrics: EngineMetrics;
  readonly totals: IngestTotals;
  readonly clock: () => number;
  readonly log: Logger;
  /** True once the engine drains: dead-letter retries give up then (the batch stays unacked, so it is redelivered). */
  readonly stopping: () => boolean;
  /** Most timer rows made in one go before waiting for {@link roomForRows}. */
  readonly maxRowsPerStep: number;
  /** Resolves once the rows made so far have mostly been scored. */
  readonly roomForRows: () => Promise<void>;
}

/**
 * Applies a decoded batch in stream order: each clock tick and each event's time advance the planner's clock
 * (firing due timers BEFORE the event that reached them is applied), each accepted event is applied and its
 * customer evaluated (a row with its features), duplicates are skipped. Then it dead-letters what the decoder or
 * the state refused, waits until the dead letters are stored, and acknowledges the whole batch: at-least-once,
 * and nothing refused is lost. Every decision reads the stream only, so any batching gives the same rows.
 */
export function createApplyStage(deps: ApplyStageDeps): (batch: DecodedBatch) => Promise<void> {
  const { store, planner, metrics, totals } = deps;
  // Acks are cumulative (AckPolicy.All): once a batch could not be acked, no later one may be, or it would ack it.
  let acksBlocked = false;
  const byType = new Map<string, number>();
  /** Moves the clock, firing due timers; a long jump is cut into steps that wait for scoring to catch up. */
  const advance = async (toMs: number): Promise<void> => {
    if (!planner.advance(toMs, deps.maxRowsPerStep)) await advanceRest(toMs);
  };
  const advanceRest = async (toMs: number): Promise<void> => {
    do await deps.roomForRows();
    while (!planner.advance(toMs, deps.maxRowsPerStep));
  };
  return async (batch) => {
    metrics.ingestBatchSize.observe(batch.source.messages.length);
    const refused: Rejection[] = [];
    const { events, ticks } = batch;
    let tick = 0;
    let applied = 0;
    let duplicates = 0;
    byType.clear();
    for (let i = 0; i < events.length; i++) {
      while (tick < ticks.length && ticks[tick]!.before === i) await advance(ticks[tick++]!.atMs);
      const d = events[i] as DecodedEvent;
      // The clock moves only for an event the store accepts (never a duplicate or a refusal), and before the
      // event changes the state, so timers due by then see the state before it.
      const verdict = store.check(d);
      if (verdict === DUPLICATE) {
        // Applied before (a redelivery, or an event a snapshot taken in slices already holds for this customer):
        // it still moves the clock as it did then, a no-op unless the state was restored from such a snapshot.
        duplicates++;
        const ts = Math.floor(d.event.ts);
        if (!planner.advance(ts, deps.maxRowsPerStep)) await advanceRest(ts);
        store.advanceTo(ts);
        continue;
      }
      if (verdict === REJECTED) {
        refused.push(store.lastRejection as Rejection);
        continue;
      }
      const ts = Math.floor(d.event.ts);
      // The common case (nothing or little due) stays synchronous: no promise per event.
      if (!planner.advance(ts, deps.maxRowsPerStep)) await advanceRest(ts);
      const slot = store.applyOne(d, verdict);
      applied++;
      planner.onEvent(slot, d.publishedAtMs);
      const type = catalogIndex(d.event.type) >= 0 ? d.event.type : 'custom';
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    while (tick < ticks.length) await advance(ticks[tick++]!.atMs);
    const rejected = refused.length === 0 ? batch.rejected : [...batch.rejected, ...refused];
    if (rejected.length > 0) {
      if (await storeDeadLetters(rejected, deps)) {
        for (const r of rejected) metrics.deadLettered.inc({ reason: r.reason });
      } else acksBlocked = true;
    }
    if (!acksBlocked) batch.source.ack();
    // Only applied events count as events in: a redelivery skipped as a duplicate is counted as a duplicate.
    for (const [type, n] of byType) metrics.eventsIn.inc({ type }, n);
    metrics.duplicates.inc(duplicates);
    totals.events += applied;
    totals.deadLetters += rejected.length;
    totals.duplicates += duplicates;
    const messages = batch.source.messages;
    if (messages.length > 0) {
      totals.lastMessageWallMs = deps.clock();
      totals.lastStreamSeq = Math.max(totals.lastStreamSeq, messages[messages.length - 1]!.streamSeq);
    }
    metrics.customers.set(store.size);
    metrics.watermarkSeconds.set(store.watermarkMs / 1000);
  };
}
