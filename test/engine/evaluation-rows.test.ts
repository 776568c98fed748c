import { describe, expect, it } from 'vitest';
import { RowBuffer } from '../../src/engine/evaluation-rows.js';
import { FEATURE_COUNT } from '../../src/state/index.js';

/** Pushes `n` rows for slots `first`, `first + 1`, ..., each with its slot number as every feature. */
function pushRows(rows: RowBuffer, first: number, n: number): void {
  for (let slot = first; slot < first + n; slot++) {
    const at = rows.push(slot, slot, Number.NaN);
    rows.features.fill(slot, at, at + FEATURE_COUNT);
  }
}

describe('RowBuffer.trim', () => {
  it('gives back the room a backlog grew once empty at two trims in a row, and keeps working', () => {
    const rows = new RowBuffer(16);
    const small = rows.byteLength;
    pushRows(rows, 0, 10_000);
    const grown = rows.byteLength;
    expect(grown).toBeGreaterThanOrEqual(10_000 * FEATURE_COUNT * 4);
    rows.trim(); // rows wait: kept
    rows.take(10_000);
    expect(rows.byteLength).toBe(grown);
    rows.trim(); // empty now, but not at the previous trim: kept
    expect(rows.byteLength).toBe(grown);
    rows.trim();
    expect(rows.byteLength).toBe(small);
    pushRows(rows, 5, 40);
    const batch = rows.take(100);
    expect(batch.slots).toEqual(Array.from({ length: 40 }, (_, i) => i + 5));
    expect(batch.features[39 * FEATURE_COUNT]).toBe(44);
  });

  it('never drops a waiting row, however trims and pushes interleave', () => {
    const rows = new RowBuffer(16);
    let next = 0;
    let taken = 0;
    for (let round = 0; round < 200; round++) {
      pushRows(rows, next, round % 7 === 0 ? 300 : round % 3);
      next += round % 7 === 0 ? 300 : round % 3;
      rows.trim();
      const batch = rows.take(round % 5 === 0 ? 1000 : 2);
      for (let i = 0; i < batch.slots.length; i++) {
        expect(batch.slots[i]).toBe(taken + i);
        expect(batch.features[i * FEATURE_COUNT + FEATURE_COUNT - 1]).toBe(taken + i);
      }
      taken += batch.slots.length;
    }
    taken += rows.take(next).slots.length;
    expect(taken).toBe(next);
  });
});
