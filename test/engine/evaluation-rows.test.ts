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
  it('gives back the room a backlog grew once a whole interval between trims stayed within the initial size', () => {
    const rows = new RowBuffer(16);
    pushRows(rows, 0, 10_000);
    const grown = rows.features.length;
    expect(grown).toBeGreaterThanOrEqual(10_000 * FEATURE_COUNT);
    rows.trim(); // rows wait: kept
    rows.take(10_000);
    rows.trim(); // empty now, but 10,000 waited since the last trim: kept
    expect(rows.features.length).toBe(grown);
    rows.trim();
    expect(rows.features.length).toBe(16 * FEATURE_COUNT);
    expect(rows.byteLength).toBe(16 * (4 + 8 + 8 + 1 + 1 + FEATURE_COUNT * 4));
    pushRows(rows, 5, 40);
    const batch = rows.take(100);
    expect(batch.slots).toEqual(Array.from({ length: 40 }, (_, i) => i + 5));
    expect(batch.features[39 * FEATURE_COUNT]).toBe(44);
  });

  it('keeps the room while bursts between trims need it, even when every trim finds it empty', () => {
    const rows = new RowBuffer(16);
    for (let burst = 0; burst < 5; burst++) {
      pushRows(rows, 0, 500);
      rows.take(500);
      rows.trim();
      expect(rows.features.length).toBeGreaterThanOrEqual(500 * FEATURE_COUNT);
    }
  });

  it('never drops or reorders a waiting row, however trims, quiet spells and bursts interleave', () => {
    const rows = new RowBuffer(16);
    let next = 0;
    let taken = 0;
    let shrinks = 0;
    for (let round = 0; round < 400; round++) {
      // Bursts every 7th round, quiet spells (nothing pushed) for rounds 20-29 of every 50, trickles otherwise.
      const n = round % 50 >= 20 && round % 50 < 30 ? 0 : round % 7 === 0 ? 300 : round % 3;
      pushRows(rows, next, n);
      next += n;
      const before = rows.features.length;
      rows.trim();
      if (rows.features.length < before) shrinks++;
      const batch = rows.take(round % 5 === 0 ? 1000 : 2);
      for (let i = 0; i < batch.slots.length; i++) {
        expect(batch.slots[i]).toBe(taken + i);
        expect(batch.features[i * FEATURE_COUNT + FEATURE_COUNT - 1]).toBe(taken + i);
      }
      taken += batch.slots.length;
    }
    taken += rows.take(next).slots.length;
    expect(taken).toBe(next);
    expect(shrinks).toBeGreaterThan(0);
  });
});
