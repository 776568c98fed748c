import { describe, expect, it } from 'vitest';
import { Subject, VirtualTimeScheduler, lastValueFrom, toArray } from 'rxjs';
import { coalesceMicroBatches, type KeyedBatch, type MicroBatch } from '../../src/rx/index.js';

/** A worker whose calls stay open until the test resolves them, recording what each call got. */
function controlledWorker() {
  const calls: MicroBatch[] = [];
  const resolvers: Array<() => void> = [];
  const work = (b: MicroBatch) => {
    calls.push(b);
    return new Promise<number[]>((resolve) => resolvers.push(() => resolve(b.keys)));
  };
  return { calls, work, release: () => resolvers.shift()?.() };
}

const batch = (keys: number[], since = 0): KeyedBatch => ({ keys, sinceMs: [since] });
const settle = () => new Promise((r) => setImmediate(r));

describe('coalesceMicroBatches', () => {
  it('flushes by size at once and by delay on the scheduler', () => {
    const scheduler = new VirtualTimeScheduler();
    const input = new Subject<KeyedBatch>();
    const w = controlledWorker();
    input.pipe(coalesceMicroBatches(w.work, { maxBatch: 3, maxDelayMs: 10, scheduler })).subscribe();
    input.next(batch([1, 2, 3, 4]));
    expect(w.calls.map((c) => c.keys)).toEqual([[1, 2, 3]]);
    input.next(batch([5]));
    scheduler.flush();
    // Key 4 and 5 wait: the worker is busy. Nothing is lost, nothing is called twice at once.
    expect(w.calls).toHaveLength(1);
  });

  it('coalesces keys touched while the worker is busy into one batch, earliest cause kept', async () => {
    const scheduler = new VirtualTimeScheduler();
    const input = new Subject<KeyedBatch>();
    const w = controlledWorker();
    const out: number[][] = [];
    input
      .pipe(coalesceMicroBatches(w.work, { maxBatch: 100, maxDelayMs: 5, scheduler }))
      .subscribe((r) => out.push(r));
    input.next(batch([7], 100));
    scheduler.flush();
    expect(w.calls).toHaveLength(1);
    for (let i = 0; i < 50; i++) input.next(batch([8, 9], 200 + i));
    w.release();
    await settle();
    expect(w.calls).toHaveLength(2);
    expect(w.calls[1]?.keys).toEqual([8, 9]);
    expect(w.calls[1]?.sinceMs).toEqual([200, 200]);
    w.release();
    await settle();
    expect(out).toEqual([[7], [8, 9]]);
  });

  it('drains what is pending when the source completes, then completes', async () => {
    const input = new Subject<KeyedBatch>();
    const result = lastValueFrom(
      input
        .pipe(coalesceMicroBatches((b) => Promise.resolve(b.keys.length), { maxBatch: 2, maxDelayMs: 1000 }))
        .pipe(toArray()),
    );
    input.next(batch([1, 2, 3, 4, 5]));
    input.complete();
    expect(await result).toEqual([2, 2, 1]);
  });

  it('completes at once on an empty source', async () => {
    const input = new Subject<KeyedBatch>();
    const result = lastValueFrom(
      input
        .pipe(coalesceMicroBatches(() => Promise.resolve(1), { maxBatch: 2, maxDelayMs: 10 }))
        .pipe(toArray()),
    );
    input.complete();
    expect(await result).toEqual([]);
  });

  it('errors the stream when the worker rejects', async () => {
    const input = new Subject<KeyedBatch>();
    const result = lastValueFrom(
      input.pipe(
        coalesceMicroBatches(() => Promise.reject(new Error('model broke')), { maxBatch: 1, maxDelayMs: 1 }),
      ),
    );
    input.next(batch([1]));
    await expect(result).rejects.toThrow('model broke');
  });
});
