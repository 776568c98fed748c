import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNELS, EVENT_TYPES, RATING_RANGES } from '../../src/contract/catalog.js';
import type { CustomerEvent } from '../../src/contract/event.js';
import { DAY_MS, FEATURE_NAMES, createCustomerStore } from '../../src/state/index.js';
import type { CustomerStore } from '../../src/state/index.js';
import { decoded, vector } from './events.js';

const BASE = Date.parse('2024-01-01T00:00:00Z');
const SPAN_DAYS = 200; // wider than every ring (105 days), well inside the 400-day horizon
const CUSTOMERS = ['a', 'b', 'c'];

/** A value of the right kind for the type: ratings in range, amounts with fractions of a cent. */
function valueFor(type: string, u: number): number | undefined {
  const range = RATING_RANGES[type as keyof typeof RATING_RANGES];
  if (range) return range[0] + u * (range[1] - range[0]);
  if (type === 'purchase' || type === 'refund' || type === 'loyalty_redeem') return u * 500;
  if (type === 'session') return u * 3600;
  return undefined;
}

/** Events of the given types at the given times, with a random arrival `order`. */
const arbEventOf = (types: readonly string[], ts: fc.Arbitrary<number>, channels: readonly string[]) =>
  fc
    .record({
      customerId: fc.constantFrom(...CUSTOMERS),
      type: fc.constantFrom(...types),
      ts,
      channel: fc.option(fc.constantFrom(...(channels as typeof CHANNELS)), { nil: undefined }),
      u: fc.double({ min: 0, max: 1, noNaN: true }),
      order: fc.integer(),
    })
    .map(({ u, order, ...e }) => {
      const value = valueFor(e.type, u);
      const event: CustomerEvent = value === undefined ? e : { ...e, value };
      return { event, order };
    });

// The whole catalog over 200 days; fine times hit tile edges, quarter-day times give some ties.
const arbEvent = arbEventOf(
  [...EVENT_TYPES, 'custom_thing'],
  fc.oneof(
    fc.integer({ min: 0, max: SPAN_DAYS * 4 }).map((q) => BASE + q * (DAY_MS / 4)),
    fc.integer({ min: 0, max: SPAN_DAYS * DAY_MS }).map((ms) => BASE + ms),
  ),
  CHANNELS,
);
// The "latest X" types at four instants only: same-millisecond ties everywhere, to pin the tie-breaks.
const arbTieEvent = arbEventOf(
  ['nps', 'subscribe', 'unsubscribe', 'cancel', 'signup'],
  fc.integer({ min: 0, max: 3 }).map((k) => BASE + k * DAY_MS),
  ['email', 'sms', 'push', 'web'],
);
const arbHistory = fc.oneof(
  fc.array(arbEvent, { minLength: 1, maxLength: 80 }),
  fc.array(arbTieEvent, { minLength: 1, maxLength: 30 }),
);

/** Applies events in the given order, in batches of `batch`, with stream sequences in arrival order. */
function applyAll(events: readonly CustomerEvent[], batch: number): CustomerStore {
  const store = createCustomerStore({ initialCapacity: 1 });
  const all = events.map((e, i) => decoded(e, i + 1));
  for (let i = 0; i < all.length; i += batch) {
    const r = store.apply(all.slice(i, i + batch));
    expect(r.rejected).toEqual([]);
    expect(r.duplicates).toBe(0);
  }
  return store;
}

function expectSameFeatures(a: CustomerStore, b: CustomerStore, nowMs: number): void {
  for (const id of CUSTOMERS) {
    if (a.slotOf(id) === undefined) {
      expect(b.slotOf(id)).toBeUndefined();
      continue;
    }
    const va = vector(a, id, nowMs);
    const vb = vector(b, id, nowMs);
    // Exact, sums included: amounts are kept as integers (cents, hundredths), so no float reordering error.
    FEATURE_NAMES.forEach((name, i) => expect(vb[i], `${id} ${name}`).toBe(va[i]));
  }
}

describe('order independence (property)', () => {
  it('any arrival order and batching gives the feature vectors of time order', () => {
    fc.assert(
      fc.property(arbHistory, fc.integer({ min: 1, max: 20 }), (items, batch) => {
        const sorted = items.map((x) => x.event).sort((x, y) => x.ts - y.ts);
        const shuffled = [...items].sort((x, y) => x.order - y.order).map((x) => x.event);
        const inOrder = applyAll(sorted, sorted.length);
        const anyOrder = applyAll(shuffled, batch);
        expect(anyOrder.watermarkMs).toBe(inOrder.watermarkMs);
        const wm = inOrder.watermarkMs;
        // At the watermark, and after idle time that moves every level's window.
        for (const now of [wm, wm + 2 * DAY_MS, wm + 40 * DAY_MS, wm + 150 * DAY_MS]) {
          expectSameFeatures(inOrder, anyOrder, now);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('redelivering any already-applied events changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (items, picks) => {
          const all = items.map((x, i) => decoded(x.event, i + 1));
          const store = createCustomerStore();
          store.apply(all);
          const wm = store.watermarkMs;
          const before = CUSTOMERS.filter((id) => store.slotOf(id) !== undefined).map((id) =>
            vector(store, id, wm),
          );
          const again = picks.map((p) => all[p % all.length]!);
          const r = store.apply(again);
          expect(r).toMatchObject({ applied: 0, duplicates: again.length, touched: [] });
          const after = CUSTOMERS.filter((id) => store.slotOf(id) !== undefined).map((id) =>
            vector(store, id, wm),
          );
          expect(after).toEqual(before);
        },
      ),
      { numRuns: 100 },
    );
  });
});
