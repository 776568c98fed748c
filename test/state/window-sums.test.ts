import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNELS, EVENT_TYPES } from '../../src/contract/catalog.js';
import { DAY_MS, createCustomerStore } from '../../src/state/index.js';
import type { CustomerColumns } from '../../src/state/customer-columns.js';
import type { TileLevel } from '../../src/state/tile-level.js';
import { sumWindow, WindowSums } from '../../src/state/window-sums.js';
import { decoded } from './events.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');

/** Each metric summed on its own by the level's per-metric methods: the rule every window follows. */
function oneByOne(level: TileLevel, slot: number, nowMs: number, tiles: number): number[][] {
  const { small, counts, amounts } = level.widths;
  return [
    Array.from({ length: small }, (_, m) => level.sumSmall(slot, m, nowMs, tiles)),
    Array.from({ length: counts }, (_, m) => level.sumCount(slot, m, nowMs, tiles)),
    Array.from({ length: amounts }, (_, m) => level.sumAmount(slot, m, nowMs, tiles)),
  ];
}

const event = fc.record({
  type: fc.constantFrom(...EVENT_TYPES),
  day: fc.double({ min: 0, max: 200, noNaN: true }),
  value: fc.integer({ min: 0, max: 5000 }),
  channel: fc.constantFrom(...CHANNELS),
});

describe('sumWindow', () => {
  it('equals summing every metric of the level one by one, for any history, time and window', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 60 }),
        fc.double({ min: 0, max: 260, noNaN: true }),
        fc.integer({ min: 1, max: 8 }),
        (events, nowDay, tiles) => {
          const store = createCustomerStore({ horizonDays: 400 });
          const evs = events.map((e) => ({
            customerId: 'c',
            type: e.type,
            ts: T0 + e.day * DAY_MS,
            value: e.value / 100,
            channel: e.channel,
          }));
          store.apply(evs.map((e) => decoded(e)));
          const slot = store.slotOf('c');
          if (slot === undefined) return;
          const cols = (store as unknown as { cols: CustomerColumns }).cols;
          const nowMs = T0 + nowDay * DAY_MS;
          for (const level of [cols.day, cols.fiveDay, cols.fifteenDay]) {
            const into = new WindowSums(level.widths);
            const t = Math.min(tiles, level.ring);
            sumWindow(level, slot, nowMs, t, into);
            expect([Array.from(into.small), Array.from(into.counts), Array.from(into.amounts)]).toEqual(
              oneByOne(level, slot, nowMs, t),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
