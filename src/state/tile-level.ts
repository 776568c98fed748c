import type { LevelSpec } from './windows.js';

/** Metrics per tile of one level, by storage width. */
export interface TileWidths {
  /** Uint8 counters (rare events: messages, tickets, refunds), saturating at 255 per tile. */
  readonly small: number;
  /** Uint16 counters, saturating at 65,535 per tile. */
  readonly counts: number;
  /** Uint32 sums of non-negative integers (whole seconds, integer cents), saturating at 2^32 - 1 per tile. */
  readonly amounts: number;
}

/** A typed-array constructor a column is made of, viewing part of a {@link ColumnSlab}. */
export interface ColumnCtor<T> {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** `bytes` rounded up to a multiple of 8, so the next column starts aligned for any element type. */
export const aligned = (bytes: number): number => Math.ceil(bytes / 8) * 8;

/**
 * Zeroed columns carved out of one ArrayBuffer: every column of a store is one allocation, replaced as one when
 * the store grows. As 16 separate arrays, each was small enough for glibc to serve from its heap (below its
 * dynamic mmap threshold, up to 32 MB) until the store held tens to hundreds of thousands of customers, and the
 * copies that growth left behind stayed resident there as holes: a 1M-customer store alone had 160 MiB of malloc
 * heap (8 MiB with one slab), 64 B of RSS per customer more. One slab passes the threshold at
 * ~47k customers, is mmap'ed and unmapped when freed, and its unused tail is never touched.
 */
export class ColumnSlab {
  readonly buffer: ArrayBuffer;
  private offset = 0;

  constructor(bytes: number) {
    this.buffer = new ArrayBuffer(bytes);
  }

  /** The next `length` elements of the slab as a `ctor` array; throws past the end (a sizing bug). */
  take<T>(ctor: ColumnCtor<T>, length: number): T {
    const column = new ctor(this.buffer, this.offset, length);
    this.offset += aligned(length * ctor.BYTES_PER_ELEMENT);
    return column;
  }
}

/** Saturation values of the three widths. */
export const MAX_SMALL = 0xff;
export const MAX_COUNT = 0xffff;
export const MAX_AMOUNT = 0xffffffff;

/**
 * One tile level for every customer, columnar: a ring of `ring` tiles per slot, each tile holding the
 * level's Uint8, Uint16 and Uint32 metrics (one typed array per width, so a rare counter costs one byte).
 *
 * Layout is `[slot][ring position][metric]`, so one customer's tiles of a width are contiguous (a cache
 * line or two) and clearing a tile is one short run. Ring position `p` of a slot holds the tile whose
 * index is `head - ((head - p) mod ring)`; `head` is the newest tile index applied (-1 when none).
 *
 * Order-independence: a tile only ever receives events of its own time and is zeroed before reuse, and a
 * saturating add of non-negative values is `min(total, max)` whatever the order, so the final rings equal
 * the in-order ones exactly.
 */
export class TileLevel {
  readonly tileMs: number;
  readonly ring: number;
  readonly widths: TileWidths;
  /** Newest tile index per slot; -1 = no tile yet (set by clearSlot, which every new slot goes through). */
  heads: Int32Array;
  small: Uint8Array;
  counts: Uint16Array;
  amounts: Uint32Array;

  /** `slab`: where the arrays are carved from (default: a slab of their own, {@link bytesFor}(capacity)). */
  constructor(spec: LevelSpec, widths: TileWidths, capacity: number, slab?: ColumnSlab) {
    this.tileMs = spec.tileMs;
    this.ring = spec.ring;
    this.widths = widths;
    this.heads = new Int32Array(0);
    this.small = new Uint8Array(0);
    this.counts = new Uint16Array(0);
    this.amounts = new Uint32Array(0);
    this.grow(capacity, slab);
  }

  /** Bytes held by this level's typed arrays. */
  get byteLength(): number {
    return this.heads.byteLength + this.small.byteLength + this.counts.byteLength + this.amounts.byteLength;
  }

  /** Bytes {@link grow} takes from a slab for `capacity` slots, alignment included. */
  bytesFor(capacity: number): number {
    const per = capacity * this.ring;
    const { small, counts, amounts } = this.widths;
    return (
      aligned(capacity * 4) + aligned(per * small) + aligned(per * counts * 2) + aligned(per * amounts * 4)
    );
  }

  /**
   * Re-allocates for `capacity` slots from `slab` (default: a slab of its own), keeping existing slots. Zeroed
   * and untouched until a slot is used: the OS maps the pages lazily, so capacity slack costs address space,
   * not resident memory.
   */
  grow(capacity: number, slab = new ColumnSlab(this.bytesFor(capacity))): void {
    const per = capacity * this.ring;
    this.heads = copied(slab.take(Int32Array, capacity), this.heads);
    this.small = copied(slab.take(Uint8Array, per * this.widths.small), this.small);
    this.counts = copied(slab.take(Uint16Array, per * this.widths.counts), this.counts);
    this.amounts = copied(slab.take(Uint32Array, per * this.widths.amounts), this.amounts);
  }

  /** Empties a slot: all tiles zero, no head. */
  clearSlot(slot: number): void {
    this.heads[slot] = -1;
    for (let p = 0; p < this.ring; p++) this.clearRow(slot * this.ring + p);
  }

  /**
   * The row (`slot * ring + position`) of the tile holding event time `ms`, advancing the slot's head (and
   * zeroing the tiles it passes) when `ms` is newer; -1 when `ms` is older than the ring, which is exactly
   * what in-order application would have left after evicting that tile.
   */
  rowFor(slot: number, ms: number): number {
    const ring = this.ring;
    const tile = Math.floor(ms / this.tileMs);
    const head = this.heads[slot]!;
    if (tile > head) {
      if (head >= 0) {
        const n = tile - head >= ring ? ring : tile - head;
        for (let k = 1; k <= n; k++) this.clearRow(slot * ring + ((head + k) % ring));
      }
      this.heads[slot] = tile;
    } else if (tile <= head - ring) {
      return -1;
    }
    return slot * ring + (tile % ring);
  }

  /** Adds 1 to Uint8 metric `metric` of a row, saturating; no-op for row -1. */
  bumpSmall(row: number, metric: number): void {
    if (row < 0) return;
    const i = row * this.widths.small + metric;
    // Typed arrays store modulo 2^n: test first so a flood saturates instead of wrapping to a small count.
    if (this.small[i]! < MAX_SMALL) this.small[i]!++;
  }

  /** Adds 1 to Uint16 metric `metric` of a row, saturating; no-op for row -1. */
  bumpCount(row: number, metric: number): void {
    if (row < 0) return;
    const i = row * this.widths.counts + metric;
    if (this.counts[i]! < MAX_COUNT) this.counts[i]!++;
  }

  /** Adds `n` (non-negative integer) to Uint16 metric `metric` of a row, saturating; no-op for row -1. */
  addCount(row: number, metric: number, n: number): void {
    if (row < 0) return;
    const i = row * this.widths.counts + metric;
    const v = this.counts[i]! + n;
    this.counts[i] = v > MAX_COUNT ? MAX_COUNT : v;
  }

  /** Adds `n` (non-negative integer) to Uint32 metric `metric` of a row, saturating; no-op for row -1. */
  addAmount(row: number, metric: number, n: number): void {
    if (row < 0) return;
    const i = row * this.widths.amounts + metric;
    const v = this.amounts[i]! + n;
    this.amounts[i] = v > MAX_AMOUNT ? MAX_AMOUNT : v;
  }

  /** Sum of Uint8 metric `metric` over the `tiles` tiles ending at the tile holding `nowMs`. */
  sumSmall(slot: number, metric: number, nowMs: number, tiles: number): number {
    return this.sum(this.small, this.widths.small, slot, metric, nowMs, tiles);
  }

  /** Sum of Uint16 metric `metric` over the `tiles` tiles ending at the tile holding `nowMs`. */
  sumCount(slot: number, metric: number, nowMs: number, tiles: number): number {
    return this.sum(this.counts, this.widths.counts, slot, metric, nowMs, tiles);
  }

  /** Sum of Uint32 metric `metric` over the `tiles` tiles ending at the tile holding `nowMs`. */
  sumAmount(slot: number, metric: number, nowMs: number, tiles: number): number {
    return this.sum(this.amounts, this.widths.amounts, slot, metric, nowMs, tiles);
  }

  private sum(
    values: Uint8Array | Uint16Array | Uint32Array,
    stride: number,
    slot: number,
    metric: number,
    nowMs: number,
    tiles: number,
  ): number {
    const ring = this.ring;
    const head = this.heads[slot]!;
    if (head < 0) return 0;
    const nowTile = Math.floor(nowMs / this.tileMs);
    // Tiles present are (head - ring, head]; the window wants (nowTile - tiles, nowTile]. Sum the overlap:
    // windows never mutate state, so an idle customer's counts fall to 0 just by `nowMs` moving on.
    let lo = nowTile - tiles + 1;
    if (lo < head - ring + 1) lo = head - ring + 1;
    const hi = nowTile < head ? nowTile : head;
    const base = slot * ring;
    let s = 0;
    for (let t = lo; t <= hi; t++) s += values[(base + (t % ring)) * stride + metric]!;
    return s;
  }

  private clearRow(row: number): void {
    const { small, counts, amounts } = this.widths;
    this.small.fill(0, row * small, (row + 1) * small);
    this.counts.fill(0, row * counts, (row + 1) * counts);
    this.amounts.fill(0, row * amounts, (row + 1) * amounts);
  }
}

function copied<T extends Int32Array | Uint8Array | Uint16Array | Uint32Array>(target: T, source: T): T {
  target.set(source);
  return target;
}
