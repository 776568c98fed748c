import {
  Observable,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

/** An ordered queue of work the producer fills and {@link drainInBatches} empties. */
export interface BatchQueue<B> {
  /** Items waiting. */
  readonly length: number;
  /** True when a batch is owed (items waiting, or other work such as a moved clock with no items). */
  readonly pending: boolean;
  /** Removes up to `max` items, oldest first. */
  take(max: number): B;
}

/** Options of {@link drainInBatches}. */
export interface DrainOptions {
  /** Most items per batch. */
  readonly maxBatch: number;
  /** Longest the oldest waiting item waits before a partial batch is taken (ms). */
  readonly maxDelayMs: number;
  /** Scheduler for the delay timer (default asyncScheduler; tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Micro-batching over a shared queue, in order: each notification from the source says the queue may have grown;
 * a batch is taken when `maxBatch` items wait or the oldest has waited `maxDelayMs`, and handed to `work` one at
 * a time (the next is taken at the turn of the event loop after the previous resolved). Nothing is merged or dropped, so every item is worked on
 * in the order it was queued. When the source completes, the queue is drained and the stream completes. A `work`
 * rejection errors the stream (fatal by contract).
 */
export function drainInBatches<B, R>(
  queue: BatchQueue<B>,
  work: (batch: B) => Promise<R>,
  opts: DrainOptions,
): OperatorFunction<unknown, R> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<R>((subscriber) => {
      let busy = false;
      let sourceDone = false;
      let timer: Subscription | undefined;
      let due = false;

      const maybeTake = (): void => {
        if (subscriber.closed || busy) return;
        if (!queue.pending) {
          if (sourceDone) subscriber.complete();
          return;
        }
        if (queue.length < opts.maxBatch && !due && !sourceDone) {
          timer ??= scheduler.schedule(() => {
            timer = undefined;
            due = true;
            maybeTake();
          }, opts.maxDelayMs);
          return;
        }
        timer?.unsubscribe();
        timer = undefined;
        due = false;
        busy = true;
        work(queue.take(opts.maxBatch)).then(
          (r) => {
            subscriber.next(r);
            // Whatever queued during the call has waited at least that long: take it at the next turn of the
            // event loop — not in this microtask, or a backlog would be worked off without ever letting I/O,
            // timers and /healthz in.
            setImmediate(() => {
              busy = false;
              due = queue.pending;
              maybeTake();
            });
          },
          (err: unknown) => subscriber.error(err),
        );
      };

      const sub = source.subscribe({
        next: () => maybeTake(),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          maybeTake();
        },
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
