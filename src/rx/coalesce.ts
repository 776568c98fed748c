import {
  Observable,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

/** Keys (customer slots) to work on, each with the time its oldest cause arrived (for freshness). */
export interface KeyedBatch {
  readonly keys: readonly number[];
  /** Epoch ms of each key's cause, parallel to `keys` (or one value for all when of length 1). */
  readonly sinceMs: readonly number[];
}

/** A micro-batch handed to the worker. */
export interface MicroBatch {
  readonly keys: number[];
  /** Earliest cause time per key. */
  readonly sinceMs: number[];
}

/** Options of {@link coalesceMicroBatches}. */
export interface CoalesceOptions {
  /** Most keys per micro-batch. */
  readonly maxBatch: number;
  /** Longest a key waits before its batch is flushed (ms). */
  readonly maxDelayMs: number;
  /** Scheduler for the delay timer (default asyncScheduler; tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Micro-batching with coalescing: keys are de-duplicated while they wait, flushed when `maxBatch` are waiting or
 * the oldest has waited `maxDelayMs`, and handed to `work` one batch at a time. Keys arriving while `work` runs
 * are coalesced into the next batch, so a customer touched a hundred times during one model call is scored once
 * afterwards: the backlog is bounded by the number of customers, not of events. A `work` rejection errors the
 * stream (it is fatal by contract).
 */
export function coalesceMicroBatches<R>(
  work: (batch: MicroBatch) => Promise<R>,
  opts: CoalesceOptions,
): OperatorFunction<KeyedBatch, R> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<R>((subscriber) => {
      const pending = new Map<number, number>();
      let busy = false;
      let sourceDone = false;
      let timer: Subscription | undefined;
      let due = false;

      const maybeFlush = (): void => {
        if (subscriber.closed) return;
        if (busy || pending.size === 0) {
          if (!busy && sourceDone) subscriber.complete();
          return;
        }
        if (pending.size < opts.maxBatch && !due && !sourceDone) {
          timer ??= scheduler.schedule(() => {
            timer = undefined;
            due = true;
            maybeFlush();
          }, opts.maxDelayMs);
          return;
        }
        timer?.unsubscribe();
        timer = undefined;
        due = false;
        const batch = take(pending, opts.maxBatch);
        busy = true;
        work(batch).then(
          (r) => {
            busy = false;
            subscriber.next(r);
            // Whatever waited during the call is at least as old as the delay allows: flush it now.
            due = pending.size > 0;
            maybeFlush();
          },
          (err: unknown) => subscriber.error(err),
        );
      };

      const sub = source.subscribe({
        next: (b) => {
          const one = b.sinceMs.length === 1 ? b.sinceMs[0] : undefined;
          for (let i = 0; i < b.keys.length; i++) {
            const key = b.keys[i] as number;
            const since = one ?? b.sinceMs[i] ?? Number.NaN;
            const prev = pending.get(key);
            // NaN marks a sweep (no event cause): a real cause time replaces it, the earliest one wins.
            if (prev === undefined || since < prev || Number.isNaN(prev)) pending.set(key, since);
          }
          maybeFlush();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          maybeFlush();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
      };
    });
}

function take(pending: Map<number, number>, max: number): MicroBatch {
  const keys: number[] = [];
  const sinceMs: number[] = [];
  for (const [k, since] of pending) {
    if (keys.length >= max) break;
    keys.push(k);
    sinceMs.push(since);
  }
  for (const k of keys) pending.delete(k);
  return { keys, sinceMs };
}
