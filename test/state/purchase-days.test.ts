import { describe, expect, it } from 'vitest';
import { createCustomerStore, DAY_MS, featureIndex } from '../../src/state/index.js';
import type { ColumnArray } from '../../src/snapshot/format.js';
import { stateReader, stateWriter } from '../../src/snapshot/state-io.js';
import { at, decoded, vector } from './events.js';

const DAYS = featureIndex('purchase_days_lifetime');
const SPAN = featureIndex('purchase_span_days');
const REPEAT = featureIndex('repeat_order_value');
const RECENCY = featureIndex('days_since_last_purchase');

/** The purchase summary features of `id` after applying `events` in the order given. */
function summary(events: ReturnType<typeof at>[], nowMs: number): number[] {
  const store = createCustomerStore();
  const r = store.apply(events.map((e, i) => decoded(e, i + 1)));
  expect(r.rejected).toEqual([]);
  const v = vector(store, events[0]!.customerId, nowMs);
  return [v[DAYS]!, v[SPAN]!, v[REPEAT]!];
}

describe('purchase days (BG/NBD transactions)', () => {
  it('merges purchases on one UTC day into one transaction; its amounts go to that day', () => {
    const history = [
      at('a', 'purchase', '2024-03-01T08:00:00Z', { value: 10 }),
      at('a', 'purchase', '2024-03-01T22:00:00Z', { value: 5 }), // same day as the first
      at('a', 'purchase', '2024-03-10T09:00:00Z', { value: 20 }),
      at('a', 'purchase', '2024-03-10T23:59:59Z', { value: 30 }), // same day
      at('a', 'purchase', '2024-03-11T00:00:00Z', { value: 7 }), // next UTC day
    ];
    const [days, span, repeat] = summary(history, Date.parse('2024-04-01T00:00:00Z'));
    expect(days).toBe(3);
    expect(span).toBeCloseTo(10 - 8 / 24, 4); // 03-01T08:00 to 03-11T00:00
    expect(repeat).toBeCloseTo((20 + 30 + 7) / 2, 4); // first day's 15 left out
  });

  it('merges a purchase that arrives months late into the day it belongs to, exactly', () => {
    const inOrder = [
      at('b', 'purchase', '2024-01-05T10:00:00Z', { value: 10 }),
      at('b', 'purchase', '2024-01-05T12:00:00Z', { value: 1 }),
      at('b', 'purchase', '2024-02-01T10:00:00Z', { value: 30 }),
      at('b', 'purchase', '2024-09-01T10:00:00Z', { value: 50 }),
    ];
    const late = [inOrder[0]!, inOrder[2]!, inOrder[3]!, inOrder[1]!]; // 8 months late, same day as the first
    const now = Date.parse('2024-10-01T00:00:00Z');
    expect(summary(late, now)).toEqual(summary(inOrder, now));
    expect(summary(inOrder, now)[0]).toBe(3);
  });

  it('keeps recency exact beyond the 365-day cap of the model feature', () => {
    const now = Date.parse('2025-06-01T00:00:00Z');
    const ago = (days: number) => new Date(now - days * DAY_MS).toISOString();
    const history = [500, 480, 450, 400].map((d) => at('c', 'purchase', ago(d), { value: 20 }));
    const store = createCustomerStore({ horizonDays: 600 });
    store.apply(history.map((e, i) => decoded(e, i + 1)));
    const v = vector(store, 'c', now);
    expect(v[RECENCY]).toBe(365); // the model's feature stays capped
    expect(v[DAYS]).toBe(4);
    expect(v[SPAN]).toBeCloseTo(100, 4); // tx: 500 - 400 days, not 500 - 365
  });
});

describe('purchase days across a restore', () => {
  it('puts every day back in place when state.horizonDays changed between snapshot and restore', () => {
    const days = (d: number, h = 10): string =>
      new Date(Date.UTC(2024, 0, 1) + d * DAY_MS + h * 3_600_000).toISOString();
    // Purchase days spread over 300 days, then (after the restore) a purchase on an already-counted day.
    const before = [0, 40, 120, 200, 290, 300].map((d, i) => at('d', 'purchase', days(d), { value: 5 + i }));
    const after = [
      at('d', 'purchase', days(200, 20), { value: 1 }),
      at('d', 'purchase', days(301), { value: 1 }),
    ];
    const now = Date.UTC(2024, 0, 1) + 310 * DAY_MS;
    for (const horizonDays of [91, 400, 1000]) {
      const uninterrupted = createCustomerStore({ horizonDays });
      uninterrupted.apply([...before, ...after].map((e, i) => decoded(e, i + 1)));
      const saved = createCustomerStore({ horizonDays: 400 });
      saved.apply(before.map((e, i) => decoded(e, i + 1)));
      const arrays: Record<string, ColumnArray> = {};
      const json: Record<string, unknown> = {};
      saved.saveState(stateWriter(arrays, json, 's'), 0, saved.slotEnd);
      const restored = createCustomerStore({ horizonDays });
      restored.loadState(
        stateReader(arrays, json, 's', (what) => {
          throw new Error(what);
        }),
      );
      restored.apply(after.map((e, i) => decoded(e, before.length + i + 1)));
      expect(vector(restored, 'd', now)[DAYS], `horizon ${horizonDays}`).toBe(7);
      expect(vector(restored, 'd', now)).toEqual(vector(uninterrupted, 'd', now));
    }
  });
});
