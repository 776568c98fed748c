/**
 * A binary min-heap of bucket ticks in a growable Float64Array (ticks are integers, exact up to 2^53).
 * Typed storage: no object per bucket, and `capacity * 8` bytes is what memoryBytes() counts.
 */
export class TickHeap {
  private items = new Float64Array(16);
  size = 0;

  /** The smallest tick; only when size > 0. */
  peek(): number {
    return this.items[0]!;
  }

  push(tick: number): void {
    if (this.size === this.items.length) {
      const items = new Float64Array(this.items.length * 2);
      items.set(this.items);
      this.items = items;
    }
    const h = this.items;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= tick) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = tick;
  }

  /** Removes the smallest tick; only when size > 0. */
  pop(): void {
    const h = this.items;
    const n = --this.size;
    if (n === 0) return;
    this.siftDown(0, h[n]!, n);
  }

  /** Replaces the content with the `n` ticks of `ticks` in O(n) (Floyd's heapify), sized to n with room to grow. */
  rebuild(ticks: Iterable<number>, n: number): void {
    // Shrinks too: after a mass expiry the heap is back to the buckets' size.
    const capacity = Math.max(16, 2 ** Math.ceil(Math.log2(n * 2 + 1)));
    if (capacity !== this.items.length) this.items = new Float64Array(capacity);
    const h = this.items;
    let i = 0;
    for (const tick of ticks) h[i++] = tick;
    this.size = n;
    for (let j = (n >> 1) - 1; j >= 0; j--) this.siftDown(j, h[j]!, n);
  }

  get byteLength(): number {
    return this.items.byteLength;
  }

  /** Places `tick` at `i` or below in the heap of `n` items. */
  private siftDown(i: number, tick: number, n: number): void {
    const h = this.items;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]! < h[c]!) c++;
      if (h[c]! >= tick) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = tick;
  }
}
