import { Observable } from 'rxjs';
import type { FlowGate } from './flow-gate.js';

/**
 * Emits the items of a (possibly huge, possibly async) iterable one by one, waiting on the gate between items and yielding to
 * the event loop, so a consumer that falls behind pauses the reading instead of buffering the whole input.
 */
export function fromIterableGated<T>(items: Iterable<T> | AsyncIterable<T>, gate: FlowGate): Observable<T> {
  return new Observable<T>((subscriber) => {
    let stopped = false;
    const run = async (): Promise<void> => {
      for await (const item of items) {
        if (stopped) return;
        subscriber.next(item);
        await (gate.wait() ?? new Promise((resolve) => setImmediate(resolve)));
      }
      subscriber.complete();
    };
    run().catch((err: unknown) => subscriber.error(err));
    return () => {
      stopped = true;
    };
  });
}
