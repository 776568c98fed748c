import { catalogIndex } from '../contract/catalog.js';
import type { DecodedBatch, Rejection } from '../decode/types.js';
import type { EngineMetrics } from '../metrics/index.js';
import type { OutputSink } from '../publish/index.js';
import type { KeyedBatch } from '../rx/index.js';
import type { CustomerStore } from '../state/types.js';
import type { Logger } from '../log/index.js';

/** Running totals the console summary and tests read. */
export interface IngestTotals {
  events: number;
  deadLetters: number;
  duplicates: number;
  /** Wall-clock ms of the last batch with events (0: none yet). */
  lastEventWallMs: number;
}

/**
 * Applies a decoded batch to customer state, dead-letters what the decoder or the state refused, waits until the
 * dead letters are stored, then acknowledges the whole batch: at-least-once, and nothing refused is lost.
 * Returns the touched customers with when their newest cause arrived in JetStream.
 */
export function createApplyStage(deps: {
  store: CustomerStore;
  sink: OutputSink;
  metrics: EngineMetrics;
  totals: IngestTotals;
  clock: () => number;
  log: Logger;
  /** True once the engine drains: dead-letter retries give up then (the batch stays unacked, so it is redelivered). */
  stopping: () => boolean;
}): (batch: DecodedBatch) => Promise<KeyedBatch> {
  const { store, metrics, totals } = deps;
  // Acks are cumulative (AckPolicy.All): once a batch could not be acked, no later one may be, or it would ack it.
  let acksBlocked = false;
  return async (batch) => {
    metrics.ingestBatchSize.observe(batch.source.messages.length);
    const result = store.apply(batch.events);
    const rejected: Rejection[] =
      result.rejected.length === 0 ? batch.rejected : [...batch.rejected, ...result.rejected];
    if (rejected.length > 0) {
      if (await storeDeadLetters(rejected, deps)) {
        for (const r of rejected) metrics.deadLettered.inc({ reason: r.reason });
      } else acksBlocked = true;
    }
    if (!acksBlocked) batch.source.ack();
    countByType(batch, metrics);
    metrics.duplicates.inc(result.duplicates);
    totals.events += result.applied;
    totals.deadLetters += rejected.length;
    totals.duplicates += result.duplicates;
    if (batch.events.length > 0) totals.lastEventWallMs = deps.clock();
    metrics.customers.set(store.size);
    metrics.watermarkSeconds.set(store.watermarkMs / 1000);
    return { keys: result.touched, sinceMs: [oldestPublish(batch)] };
  };
}

/**
 * Stores dead letters, retrying with backoff (1 s doubling to 30 s) through a NATS outage: the batch is acked only
 * after its dead letters are stored, so nothing is lost. Gives up only when the engine is draining.
 */
async function storeDeadLetters(
  rejected: readonly Rejection[],
  deps: { sink: OutputSink; metrics: EngineMetrics; log: Logger; stopping: () => boolean },
): Promise<boolean> {
  for (let delayMs = 1_000; ; delayMs = Math.min(30_000, delayMs * 2)) {
    try {
      await deps.sink.deadLetter(rejected);
      return true;
    } catch (err) {
      deps.metrics.deadLetterRetries.inc();
      if (deps.stopping()) {
        deps.log.error(
          { err, count: rejected.length },
          'dead letters not stored while draining; batch left unacked',
        );
        return false;
      }
      deps.log.warn(
        { err, count: rejected.length, retryInMs: delayMs },
        'storing dead letters failed; retrying',
      );
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

/** One counter increment per type per batch: labelled increments cost far more than an array bump. */
function countByType(batch: DecodedBatch, metrics: EngineMetrics): void {
  const counts = new Map<string, number>();
  for (const e of batch.events) {
    const type = catalogIndex(e.event.type) >= 0 ? e.event.type : 'custom';
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  for (const [type, n] of counts) metrics.eventsIn.inc({ type }, n);
}

function oldestPublish(batch: DecodedBatch): number {
  const first = batch.events[0];
  return first === undefined ? Number.NaN : first.publishedAtMs;
}
