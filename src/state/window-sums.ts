import type { TileLevel, TileWidths } from './tile-level.js';

/** Every metric of one tile level summed over a window: one Float64 per metric, by storage width. */
export class WindowSums {
  readonly small: Float64Array;
  readonly counts: Float64Array;
  readonly amounts: Float64Array;

  constructor(widths: TileWidths) {
    this.small = new Float64Array(widths.small);
    this.counts = new Float64Array(widths.counts);
    this.amounts = new Float64Array(widths.amounts);
  }
}

/**
 * Sums all metrics of `level` over the `tiles` tiles ending at the tile holding `nowMs` (the window rule of
 * TileLevel.sumCount and its siblings) into `into`. One pass over each tile's contiguous metrics instead of one
 * call and one walk of the ring per metric: a feature vector reads ~45 window sums, and summing them one by one
 * was most of the cost of computing features. Sums of integers, so exact and the same in any order.
 */
export function sumWindow(
  level: TileLevel,
  slot: number,
  nowMs: number,
  tiles: number,
  into: WindowSums,
): void {
  into.small.fill(0);
  into.counts.fill(0);
  into.amounts.fill(0);
  const head = level.heads[slot]!;
  if (head < 0) return;
  const ring = level.ring;
  const nowTile = Math.floor(nowMs / level.tileMs);
  let lo = nowTile - tiles + 1;
  if (lo < head - ring + 1) lo = head - ring + 1;
  const hi = nowTile < head ? nowTile : head;
  const { small, counts, amounts } = level.widths;
  for (let t = lo; t <= hi; t++) {
    const row = slot * ring + (t % ring);
    addRow(level.small, row * small, into.small);
    addRow(level.counts, row * counts, into.counts);
    addRow(level.amounts, row * amounts, into.amounts);
  }
}

function addRow(values: Uint8Array | Uint16Array | Uint32Array, from: number, into: Float64Array): void {
  for (let m = 0; m < into.length; m++) into[m]! += values[from + m]!;
}
