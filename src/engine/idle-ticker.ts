import { interval, map, type Observable, type SchedulerLike } from 'rxjs';
import type { KeyedBatch } from '../rx/index.js';
import type { CustomerStore } from '../state/types.js';
import type { IngestTotals } from './apply-stage.js';

/** Options of {@link idleTicker}. */
export interface IdleTickerOptions {
  /** Quiet time after which event time follows the wall clock (ms). */
  readonly idleAfterMs: number;
  /** Every customer is re-scored at least once per this period (ms). */
  readonly rescoreSweepMs: number;
  /** Tick period (default 250 ms). */
  readonly tickMs?: number;
  readonly clock: () => number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Keeps time moving when the stream is quiet and re-scores silent customers. Each tick: if no event arrived
 * for `idleAfterMs`, advance the watermark by the wall time elapsed since the last tick (relative, so a replay of
 * old history is not thrown to "now"); and hand a slice of all customers to scoring so that a full sweep takes
 * `rescoreSweepMs`. Sweep batches carry NaN as their cause time: they are not event-to-score latencies.
 */
export function idleTicker(
  store: CustomerStore,
  totals: IngestTotals,
  opts: IdleTickerOptions,
): Observable<KeyedBatch> {
  const tick = createIdleTick(store, totals, opts);
  // Every tick is emitted, empty slices too: the engine does more per tick (timers, aggregates) and drops empty
  // batches itself.
  return interval(opts.tickMs ?? 250, opts.scheduler).pipe(map(tick));
}

/** One tick of {@link idleTicker}: advance an idle watermark, return the next slice of the sweep. */
export function createIdleTick(
  store: CustomerStore,
  totals: IngestTotals,
  opts: IdleTickerOptions,
): () => KeyedBatch {
  const tickMs = opts.tickMs ?? 250;
  let cursor = 0;
  // Customers owed to the sweep, fractional: a small population is swept at its real rate, not one per tick.
  let owed = 0;
  let lastTickWall = opts.clock();
  return () => {
    const now = opts.clock();
    const elapsed = now - lastTickWall;
    lastTickWall = now;
    if (store.size === 0) return { keys: [], sinceMs: [Number.NaN] };
    if (now - totals.lastEventWallMs >= opts.idleAfterMs) store.advanceTo(store.watermarkMs + elapsed);
    const end = store.slotEnd;
    owed = Math.min(end, owed + (end * tickMs) / opts.rescoreSweepMs);
    const n = Math.floor(owed);
    owed -= n;
    const keys: number[] = [];
    for (let i = 0; i < n; i++) {
      if (store.isLive(cursor)) keys.push(cursor);
      cursor = cursor + 1 >= end ? 0 : cursor + 1;
    }
    return { keys, sinceMs: [Number.NaN] };
  };
}
