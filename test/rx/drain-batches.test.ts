import { describe, expect, it } from 'vitest';
import { Subject, VirtualTimeScheduler, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { drainInBatches, type BatchQueue } from '../../src/rx/index.js';

/** A queue of numbers; `pending` also true when `owed` (work without items, like a moved clock). */
function queue(): BatchQueue<number[]> & { items: number[]; owed: boolean } {
  const q = {
    items: [] as number[],
    owed: false,
    get length() {
      return q.items.length;
    },
    get pending() {
      return q.items.length > 0 || q.owed;
    },
    take(max: number) {
      q.owed = false;
      return q.items.splice(0, max);
    },
  };
  return q;
}

describe('drainInBatches', () => {
  it('takes full batches at once, the rest right after them, a lone partial one after the delay', async () => {
    const q = queue();
    const scheduler = new VirtualTimeScheduler();
    const signals = new Subject<void>();
    const seen: number[][] = [];
    signals
      .pipe(drainInBatches(q, (b) => Promise.resolve(b), { maxBatch: 3, maxDelayMs: 10, scheduler }))
      .subscribe((b) => seen.push(b));
    q.items.push(1, 2, 3, 4, 5, 6, 7);
    signals.next();
    await new Promise((r) => setTimeout(r, 20));
    // What queued while a batch was worked on has waited long enough: taken at once, in order.
    expect(seen).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    q.items.push(8);
    signals.next();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(3);
    scheduler.flush(); // the delay passes
    await new Promise((r) => setTimeout(r, 5));
    expect(seen.at(-1)).toEqual([8]);
  });

  it('drains everything when the source completes, and takes a batch that is owed without items', async () => {
    const q = queue();
    const signals = new Subject<void>();
    const done = lastValueFrom(
      signals.pipe(
        drainInBatches(q, (b) => Promise.resolve(b.length), { maxBatch: 2, maxDelayMs: 1e9 }),
        toArray(),
      ),
    );
    q.items.push(1, 2, 3);
    q.owed = true;
    signals.next();
    signals.complete();
    expect(await done).toEqual([2, 1]);
    const q2 = queue();
    q2.owed = true;
    const s2 = new Subject<void>();
    const got = lastValueFrom(
      s2.pipe(
        drainInBatches(q2, (b) => Promise.resolve(b.length), { maxBatch: 2, maxDelayMs: 1e9 }),
        toArray(),
      ),
    );
    s2.complete();
    expect(await got).toEqual([0]);
  });

  it('lets timers and I/O run between batches of a backlog', async () => {
    const q = queue();
    q.items.push(...Array.from({ length: 100 }, (_, i) => i));
    const signals = new Subject<void>();
    const order: string[] = [];
    const busy = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    // Each batch holds the thread for 3 ms, as a model call does: the timer falls due during the first.
    const work = (b: number[]): Promise<number[]> => {
      order.push('batch');
      busy(3);
      return Promise.resolve(b);
    };
    signals.pipe(drainInBatches(q, work, { maxBatch: 10, maxDelayMs: 1 })).subscribe();
    setTimeout(() => order.push('timer'), 1);
    signals.next();
    await new Promise((r) => setTimeout(r, 100));
    expect(order.filter((o) => o === 'batch')).toHaveLength(10);
    expect(order.indexOf('timer')).toBeGreaterThan(0);
    expect(order.indexOf('timer')).toBeLessThan(4);
  });

  it('a failed batch errors the stream', async () => {
    const q = queue();
    q.items.push(1);
    const signals = new Subject<void>();
    const failed = firstValueFrom(
      signals.pipe(
        drainInBatches(q, () => Promise.reject(new Error('model broke')), { maxBatch: 1, maxDelayMs: 1 }),
      ),
    );
    signals.next();
    await expect(failed).rejects.toThrow('model broke');
  });
});
