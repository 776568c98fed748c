import { describe, expect, it } from 'vitest';
import { DAY_MS, FEATURE_COUNT, createCustomerStore } from '../../src/state/index.js';
import type { ColumnArray } from '../../src/snapshot/format.js';
import { stateReader, stateWriter } from '../../src/snapshot/state-io.js';
import { at, decoded, feature, vector } from './events.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('too_old', () => {
  it('refuses an event older than watermark - horizonDays with its message, and changes nothing', () => {
    const store = createCustomerStore({ horizonDays: 30 });
    store.apply([decoded(at('a', 'page_view', iso(NOW)), 1)]);
    const before = vector(store, 'a', NOW);
    const old = decoded(at('a', 'purchase', iso(NOW - 30 * DAY_MS - 1), { value: 9 }), 2);
    const stranger = decoded(at('z', 'purchase', iso(NOW - 31 * DAY_MS), { value: 9 }), 3);
    const result = store.apply([old, stranger]);
    expect(result.applied).toBe(0);
    expect(result.touched).toEqual([]);
    expect(result.rejected.map((r) => r.reason)).toEqual(['too_old', 'too_old']);
    const [first] = result.rejected;
    expect(first).toMatchObject({ kind: 'rejected', subject: old.subject, streamSeq: 2 });
    expect(first!.data).toBe(old.data);
    expect(first!.detail).toContain(String(old.event.ts));
    expect(first!.detail).toContain('30 days');
    expect(vector(store, 'a', NOW)).toEqual(before);
    expect(store.slotOf('z')).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('accepts an event exactly at the horizon', () => {
    const store = createCustomerStore({ horizonDays: 30 });
    store.apply([decoded(at('a', 'page_view', iso(NOW)))]);
    const result = store.apply([decoded(at('a', 'purchase', iso(NOW - 30 * DAY_MS), { value: 1 }))]);
    expect(result.applied).toBe(1);
    expect(feature(store, 'a', 'purchases_lifetime', NOW)).toBe(1);
  });

  it('refuses a non-finite or negative ts as a value, not a throw', () => {
    const store = createCustomerStore();
    const result = store.apply([
      decoded({ customerId: 'a', type: 'page_view', ts: Number.NaN }),
      decoded({ customerId: 'a', type: 'page_view', ts: -5 }),
      decoded({ customerId: 'a', type: 'page_view', ts: Infinity }),
    ]);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'non_finite_number',
      'out_of_range',
      'non_finite_number',
    ]);
    expect(store.size).toBe(0);
    expect(store.watermarkMs).toBe(0);
  });
});

describe('redelivery', () => {
  it('skips an event whose stream sequence the customer has already passed, and counts it', () => {
    const store = createCustomerStore();
    const p = decoded(at('a', 'purchase', iso(NOW), { value: 5 }), 5);
    expect(store.apply([p]).applied).toBe(1);
    const again = store.apply([p, decoded(at('a', 'purchase', iso(NOW), { value: 5 }), 4)]);
    expect(again).toMatchObject({ applied: 0, duplicates: 2, touched: [] });
    expect(feature(store, 'a', 'purchases_lifetime', NOW)).toBe(1);
    // The high-water mark is per customer: another customer's lower sequence is new.
    const next = store.apply([
      decoded(at('b', 'purchase', iso(NOW), { value: 5 }), 3),
      { ...p, streamSeq: 6 },
    ]);
    expect(next).toMatchObject({ applied: 2, duplicates: 0 });
    expect(feature(store, 'a', 'purchases_lifetime', NOW)).toBe(2);
  });

  it('never treats unsequenced events (streamSeq 0) as duplicates', () => {
    const store = createCustomerStore();
    const e = decoded(at('a', 'page_view', iso(NOW)), 0);
    expect(store.apply([e, e, e])).toMatchObject({ applied: 3, duplicates: 0 });
  });
});

describe('apply results', () => {
  it('lists each touched slot once, in first-touch order, per call', () => {
    const store = createCustomerStore();
    const ids = ['a', 'b', 'a', 'c', 'b', 'a'];
    const r1 = store.apply(ids.map((id) => decoded(at(id, 'page_view', iso(NOW)))));
    expect(r1.touched.map((s) => store.customerId(s))).toEqual(['a', 'b', 'c']);
    expect(r1.applied).toBe(6);
    const r2 = store.apply(['c', 'a', 'c'].map((id) => decoded(at(id, 'page_view', iso(NOW)))));
    expect(r2.touched.map((s) => store.customerId(s))).toEqual(['c', 'a']);
    expect(store.apply([])).toEqual({ touched: [], rejected: [], applied: 0, duplicates: 0 });
  });

  it('keeps the watermark at the max event time and the latest event time per slot', () => {
    const store = createCustomerStore();
    store.apply([decoded(at('a', 'page_view', iso(NOW))), decoded(at('a', 'page_view', iso(NOW - DAY_MS)))]);
    expect(store.watermarkMs).toBe(NOW);
    expect(store.lastEventMs(store.slotOf('a')!)).toBe(NOW);
  });

  it('saturates tile counters at their width instead of wrapping (docs/windows.md lists the caps)', () => {
    const store = createCustomerStore();
    const view = decoded(at('bot', 'page_view', iso(NOW)));
    const ticket = decoded(at('bot', 'support_ticket', iso(NOW)));
    const session = decoded(at('bot', 'session', iso(NOW), { value: 3600 }));
    store.apply([...new Array<typeof view>(70_000).fill(view), ...new Array<typeof view>(300).fill(ticket)]);
    store.apply(new Array<typeof view>(20).fill(session));
    expect(feature(store, 'bot', 'views_1d', NOW)).toBe(65_535); // Uint16 per day
    expect(feature(store, 'bot', 'events_90d', NOW)).toBe(65_535); // Uint16 per 15 days
    expect(feature(store, 'bot', 'support_tickets_30d', NOW)).toBe(255); // Uint8 per 5 days
    expect(feature(store, 'bot', 'session_seconds_7d', NOW)).toBe(65_535); // 20 h in a day, Uint16 seconds
    expect(feature(store, 'bot', 'session_seconds_30d', NOW)).toBe(72_000); // Uint32 per 5 days
  });
});

describe('slots', () => {
  it('keeps every customer intact while the columns grow', () => {
    const store = createCustomerStore({ initialCapacity: 2 });
    store.apply([decoded(at('first', 'purchase', iso(NOW - DAY_MS), { value: 3.5 }))]);
    const before = vector(store, 'first', NOW);
    const many = Array.from({ length: 300 }, (_, i) => decoded(at(`c${i}`, 'cart_add', iso(NOW))));
    store.apply(many);
    expect(store.size).toBe(301);
    expect(vector(store, 'first', NOW)).toEqual(before);
    expect(feature(store, 'c299', 'cart_adds_7d', NOW)).toBe(1);
    expect(store.columnBytes).toBeGreaterThan(300 * 700);
  });

  it('remove erases a customer and a new customer reuses its slot from a clean state', () => {
    const store = createCustomerStore();
    store.apply([
      decoded(at('gone', 'purchase', iso(NOW), { value: 10 }), 7),
      decoded(at('stay', 'page_view', iso(NOW)), 8),
    ]);
    const slot = store.slotOf('gone')!;
    expect(store.remove('gone')).toBe(true);
    expect(store.remove('gone')).toBe(false);
    expect(store.slotOf('gone')).toBeUndefined();
    expect(store.isLive(slot)).toBe(false);
    expect(store.customerId(slot)).toBe('');
    expect(store.size).toBe(1);
    store.apply([decoded(at('new', 'page_view', iso(NOW)), 9)]);
    expect(store.slotOf('new')).toBe(slot);
    expect(store.isLive(slot)).toBe(true);
    expect(store.slotEnd).toBe(2);
    expect(feature(store, 'new', 'purchases_lifetime', NOW)).toBe(0);
    expect(feature(store, 'new', 'events_1d', NOW)).toBe(1);
    expect(vector(store, 'new', NOW)).toHaveLength(FEATURE_COUNT);
  });

  it('a held slot is reused only once released, in release order; releasing twice or a slot never held does nothing', () => {
    const store = createCustomerStore();
    store.apply(['a', 'b', 'c', 'd'].map((id, i) => decoded(at(id, 'page_view', iso(NOW)), i + 1)));
    const [a, b, c] = ['a', 'b', 'c'].map((id) => store.slotOf(id)!);
    for (const id of ['a', 'b', 'c']) expect(store.remove(id, true)).toBe(true);
    store.apply([decoded(at('e', 'page_view', iso(NOW)))]);
    expect(store.slotOf('e')).toBe(4); // none of the held slots
    store.releaseHeld(c!);
    store.releaseHeld(a!);
    store.releaseHeld(a!);
    store.releaseHeld(store.slotOf('d')!); // live, never held
    store.releaseHeld(99);
    // Free slots are taken last released first: a, then c; b stays held.
    store.apply(['f', 'g', 'h'].map((id) => decoded(at(id, 'page_view', iso(NOW)))));
    expect(['f', 'g', 'h'].map((id) => store.slotOf(id))).toEqual([a, c, 5]);
    store.releaseHeld(b!);
    store.apply([decoded(at('i', 'page_view', iso(NOW)))]);
    expect(store.slotOf('i')).toBe(b);
  });

  it('a mass eviction: 16,384 held slots released, all reused, the last released first', () => {
    const n = 16_384;
    const store = createCustomerStore({ initialCapacity: n });
    store.apply(Array.from({ length: n }, (_, i) => decoded(at(`c${i}`, 'page_view', iso(NOW)))));
    const slots = Array.from({ length: n }, (_, i) => store.slotOf(`c${i}`)!);
    for (let i = 0; i < n; i++) store.remove(`c${i}`, true);
    // Released in the order their rows were scored: the first held first, the worst case of indexOf + splice.
    for (const slot of slots) store.releaseHeld(slot);
    store.apply(Array.from({ length: n }, (_, i) => decoded(at(`d${i}`, 'page_view', iso(NOW)))));
    expect(store.slotEnd).toBe(n);
    expect(store.slotOf(`d0`)).toBe(slots[n - 1]);
  });
});

describe('a snapshot taken in slices', () => {
  const snapshotOf = (
    parts: readonly { store: ReturnType<typeof createCustomerStore>; from: number; to: number }[],
  ): { arrays: Record<string, ColumnArray>; json: Record<string, unknown> } => {
    // Each slice is saved as the engine captures one, then concatenated slot-wise.
    const slices = parts.map(({ store, from, to }) => {
      const arrays: Record<string, ColumnArray> = {};
      const json: Record<string, unknown> = {};
      store.saveState(stateWriter(arrays, json, 's'), from, to);
      return { arrays, json };
    });
    const arrays: Record<string, ColumnArray> = {};
    for (const name of Object.keys(slices[0]!.arrays)) {
      const all = slices.map((s) => s.arrays[name]!);
      const out = new (all[0]!.constructor as new (n: number) => ColumnArray)(
        all.reduce((n, a) => n + a.length, 0),
      );
      all.reduce((at, a) => (out.set(a, at), at + a.length), 0);
      arrays[name] = out;
    }
    const json = { ...slices[0]!.json, 's.ids': slices.flatMap((s) => s.json['s.ids'] as string[]) };
    return { arrays, json };
  };

  it('keeps the later copy of a customer that left and came back between slices, and frees the earlier slot', () => {
    const store = createCustomerStore();
    store.apply(['x', 'a', 'b', 'y'].map((id, i) => decoded(at(id, 'page_view', iso(NOW - DAY_MS)), i + 1)));
    const first = { store, from: 0, to: 2 };
    const firstSlice = snapshotOf([first]);
    store.remove('x');
    store.remove('y');
    // x comes back with a purchase, to slot 3 (the last freed): the second slice copies it there.
    store.apply([decoded(at('x', 'purchase', iso(NOW), { value: 20 }), 5)]);
    expect(store.slotOf('x')).toBe(3);
    const both = snapshotOf([
      { ...first, store: restoredFrom(firstSlice) },
      { store, from: 2, to: 4 },
    ]);
    const restored = createCustomerStore();
    const superseded = restored.loadState(stateReader(both.arrays, both.json, 's', fail));
    expect(superseded).toEqual([0]);
    expect([restored.slotOf('x'), restored.size, restored.isLive(0)]).toEqual([3, 3, false]);
    expect(vector(restored, 'x', NOW)).toEqual(vector(store, 'x', NOW));
    // Removing x takes it out for good (no earlier copy surfaces), and slot 0 is reused.
    expect(restored.remove('x')).toBe(true);
    expect(restored.slotOf('x')).toBeUndefined();
    restored.apply([decoded(at('z', 'page_view', iso(NOW)), 6)]);
    expect(restored.slotOf('z')).toBe(3);
    restored.apply([decoded(at('w', 'page_view', iso(NOW)), 7)]);
    expect(restored.slotOf('w')).toBe(0);
  });

  it('refuses a snapshot holding an id longer than any event may carry', () => {
    const store = createCustomerStore();
    store.apply([decoded(at('a', 'page_view', iso(NOW)), 1)]);
    const saved = snapshotOf([{ store, from: 0, to: 1 }]);
    saved.json['s.ids'] = ['a'.repeat(129)];
    expect(() => createCustomerStore().loadState(stateReader(saved.arrays, saved.json, 's', fail))).toThrow(
      TypeError,
    );
  });
});

const fail = (what: string): never => {
  throw new Error(what);
};

/** A store holding exactly what `saved` holds (the first slice as it was when copied). */
function restoredFrom(saved: { arrays: Record<string, ColumnArray>; json: Record<string, unknown> }) {
  const store = createCustomerStore();
  store.loadState(stateReader(saved.arrays, saved.json, 's', fail));
  return store;
}
