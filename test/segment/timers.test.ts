import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeadlineScheduler, isClockFeature, nextDeadline } from '../../src/segment/timers.js';
import type { DeadlineThreshold } from '../../src/segment/timers.js';
import { DAY_MS, FEATURE_COUNT, createCustomerStore, featureIndex } from '../../src/state/index.js';
import type { CustomerStore } from '../../src/state/index.js';
import { at, decoded } from '../state/events.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const T = Date.parse('2024-06-15T10:17:23.456Z'); // deliberately not on a minute

describe('createDeadlineScheduler: schedule, replace, cancel, due', () => {
  it('returns due slots by bucket, each once, to the millisecond', () => {
    const s = createDeadlineScheduler();
    s.schedule(3, T + 5 * MIN);
    s.schedule(1, T + 2 * MIN);
    s.schedule(2, T + 2 * MIN + 1);
    s.schedule(7, T + 1);
    expect(s.size).toBe(4);
    expect(s.due(T)).toEqual([]);
    expect(s.due(T + 1)).toEqual([7]);
    expect(s.due(T + 2 * MIN)).toEqual([1]); // 2 is 1 ms later, same bucket
    expect(s.deadlineOf(2)).toBe(T + 2 * MIN + 1);
    expect(s.due(T + 10 * MIN)).toEqual([2, 3]);
    expect(s.due(T + 10 * MIN)).toEqual([]);
    expect(s.size).toBe(0);
    expect(s.deadlineOf(3)).toBe(-1);
  });

  it('a new deadline replaces the pending one, earlier or later', () => {
    const s = createDeadlineScheduler();
    s.schedule(1, T + 10 * MIN);
    s.schedule(1, T + 2 * MIN); // earlier, other bucket
    s.schedule(2, T + 2 * MIN);
    s.schedule(2, T + 30 * MIN); // later
    s.schedule(3, T + 3 * MIN);
    s.schedule(3, T + 3 * MIN + 1); // same bucket
    expect(s.size).toBe(3);
    expect(s.due(T + 3 * MIN)).toEqual([1]);
    expect(s.due(T + 29 * MIN)).toEqual([3]); // no stale fire of 1 at +10 min
    expect(s.due(T + 30 * MIN)).toEqual([2]);
    expect(s.size).toBe(0);
  });

  it('a slot moved A -> B -> A fires once', () => {
    const s = createDeadlineScheduler();
    s.schedule(4, T + MIN);
    s.schedule(4, T + 50 * MIN);
    s.schedule(4, T + MIN + 5);
    expect(s.due(T + HOUR)).toEqual([4]);
    expect(s.due(T + 2 * HOUR)).toEqual([]);
  });

  it('a bucket left with only stale entries keeps its order when slots come back, earliest() asked between', () => {
    const s = createDeadlineScheduler();
    s.schedule(1, T + MIN);
    s.schedule(2, T + MIN);
    s.schedule(1, T + 9 * MIN);
    s.schedule(2, T + 9 * MIN);
    expect(s.earliest()).toBe(T + 9 * MIN); // skips the bucket of T + 1 min: nothing valid in it now
    s.schedule(2, T + MIN + 2);
    expect(s.earliest()).toBe(T + MIN + 2);
    s.schedule(1, T + MIN + 1);
    expect(s.earliest()).toBe(T + MIN + 1);
    const at: number[] = [];
    // 1 entered that bucket first, and its first entry still counts.
    expect(s.due(T + 2 * MIN, at)).toEqual([1, 2]);
    expect(at).toEqual([T + MIN + 1, T + MIN + 2]);
    expect(s.earliest()).toBe(Infinity);
  });

  it('memoryBytes() counts the bucket index too', () => {
    const s = createDeadlineScheduler();
    const n = 1000;
    for (let slot = 0; slot < n; slot++) s.schedule(slot, T + slot * MIN); // one bucket each
    const deadlines = 1024 * 8;
    const lists = n * (8 * 4 + 200); // an 8-slot Int32Array and the per-bucket estimate
    expect(s.memoryBytes()).toBeGreaterThanOrEqual(deadlines + lists + 2 * n * 8); // two heaps of Float64 ticks
    expect(s.memoryBytes()).toBeLessThan(deadlines + lists + 2 * 2 * n * 8 + 1024);
  });

  it('cancel drops the deadline; Infinity and NaN cancel; a negative time is due at once', () => {
    const s = createDeadlineScheduler();
    s.schedule(1, T);
    s.schedule(2, T);
    s.schedule(3, T);
    expect(s.cancel(1)).toBe(true);
    expect(s.cancel(1)).toBe(false);
    expect(s.cancel(99_999)).toBe(false);
    expect(s.cancel(1.5)).toBe(false);
    expect(s.cancel(-1)).toBe(false);
    s.schedule(2, Infinity);
    s.schedule(5, Number.NaN);
    s.schedule(6, -5);
    expect(s.size).toBe(2);
    expect(s.due(0)).toEqual([6]);
    expect(s.due(T)).toEqual([3]);
  });

  it('grows past its initial slot capacity and rejects slots that are not indexes', () => {
    const s = createDeadlineScheduler({ granularityMs: 1000 });
    s.schedule(100_000, T);
    expect(s.due(T)).toEqual([100_000]);
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN]) expect(() => s.schedule(bad, T)).toThrow(RangeError);
    expect(() => createDeadlineScheduler({ granularityMs: 0 })).toThrow(RangeError);
  });

  it('a long watermark jump over sparse buckets keeps bucket order', () => {
    const s = createDeadlineScheduler();
    s.schedule(1, T + 300 * DAY_MS);
    s.schedule(2, T + 2 * DAY_MS);
    s.schedule(3, T + 900 * DAY_MS);
    expect(s.due(T + 1000 * DAY_MS)).toEqual([2, 1, 3]);
  });

  it('stale entries from endless rescheduling are compacted: memory stays flat', () => {
    const s = createDeadlineScheduler();
    s.schedule(0, T);
    const before = s.memoryBytes();
    for (let i = 0; i < 100_000; i++) s.schedule(1 + (i % 10), T + (i % 500) * MIN);
    expect(s.size).toBe(11);
    expect(s.memoryBytes() - before).toBeLessThan(200_000);
    const fired = s.due(T + 1000 * MIN).sort((a, b) => a - b);
    expect(fired).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('matches a naive Map model on random operations (property)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('schedule' as const), slot: fc.nat(40), at: fc.nat(20_000) }),
      fc.record({ k: fc.constant('cancel' as const), slot: fc.nat(40) }),
      fc.record({ k: fc.constant('due' as const), wm: fc.nat(20_000) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 5000 }), (ops, g) => {
        const s = createDeadlineScheduler({ granularityMs: g });
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.k === 'schedule') {
            s.schedule(o.slot, o.at);
            model.set(o.slot, o.at);
          } else if (o.k === 'cancel') {
            expect(s.cancel(o.slot)).toBe(model.delete(o.slot));
          } else {
            const want = [...model].filter(([, d]) => d <= o.wm).map(([slot]) => slot);
            const got = s.due(o.wm);
            expect([...got].sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
            // Bucket order: the deadlines' buckets never go down along the returned batch.
            const buckets = got.map((slot) => Math.floor(model.get(slot)! / g));
            expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
            for (const slot of want) model.delete(slot);
          }
          expect(s.size).toBe(model.size);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('a million pending deadlines', () => {
  it('due() in steps returns each exactly once, never early', () => {
    const n = 1_000_000;
    const s = createDeadlineScheduler();
    const at = new Float64Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      at[i] = T + (x % (30 * DAY_MS)); // over 30 days, to the ms
      s.schedule(i, at[i]!);
    }
    expect(s.size).toBe(n);
    expect(s.memoryBytes() / n).toBeLessThan(24);
    const seen = new Uint8Array(n);
    let total = 0;
    let bad = 0;
    let prev = T - 1;
    for (let wm = T + 6 * HOUR - 7; wm < T + 31 * DAY_MS; wm += 6 * HOUR) {
      for (const slot of s.due(wm)) {
        // Plain checks in the loop: a million expect() calls would dominate the test's time.
        if (seen[slot] !== 0 || !(at[slot]! <= wm && at[slot]! > prev)) bad++;
        seen[slot] = 1;
        total++;
      }
      prev = wm;
    }
    expect(bad).toBe(0);
    expect(total).toBe(n);
    expect(s.size).toBe(0);
  });
});

/** A zero vector with the given features set. */
function vec(values: Record<string, number>): Float32Array {
  const out = new Float32Array(FEATURE_COUNT);
  for (const [name, v] of Object.entries(values)) out[featureIndex(name)] = v;
  return out;
}

describe('nextDeadline', () => {
  it('keeps a threshold armed one short step past it, so a strict `>` rule flips too', () => {
    const th: DeadlineThreshold[] = [{ feature: 'days_since_last_app_open', days: 7 }];
    // At its deadline the feature equals the threshold: `days_since_last_app_open > 7` is still false.
    expect(nextDeadline(vec({ days_since_last_app_open: 7 }), 0, NOW, th)).toBe(NOW + 250);
    // Well past it, the rule has flipped already: nothing left to time.
    expect(nextDeadline(vec({ days_since_last_app_open: 7.01 }), 0, NOW, th)).toBe(Infinity);
  });

  const NOW = Date.parse('2024-06-15T12:00:00Z');
  const nextUtcDay = Date.parse('2024-06-16T00:00:00Z');

  it('times a clock threshold: now + (threshold - value) days', () => {
    const th = [{ feature: 'days_since_last_app_open', days: 7 }];
    expect(nextDeadline(vec({ days_since_last_app_open: 2 }), 0, NOW, th)).toBe(NOW + 5 * DAY_MS);
    const many = [
      { feature: 'days_since_last_activity', days: 30 },
      { feature: 'days_since_last_cart_add', days: 1 / 24 },
    ];
    const v = vec({ days_since_last_activity: 29.5, days_since_last_cart_add: 0.5 });
    expect(nextDeadline(v, 0, NOW, many)).toBe(NOW + DAY_MS / 2); // the cart one is crossed already
  });

  it('reads the vector at an offset', () => {
    const one = vec({ days_since_last_activity: 10 });
    const batch = new Float32Array(3 * FEATURE_COUNT);
    batch.set(one, 2 * FEATURE_COUNT);
    const th = [{ feature: 'days_since_last_activity', days: 30 }];
    expect(nextDeadline(batch, 2 * FEATURE_COUNT, NOW, th)).toBe(NOW + 20 * DAY_MS);
    expect(nextDeadline(batch, 0, NOW, th)).toBe(NOW + 30 * DAY_MS);
  });

  it('ignores thresholds that waiting cannot cross', () => {
    const th: DeadlineThreshold[] = [
      { feature: 'days_since_last_purchase', days: 400 }, // above the 365 cap
      { feature: 'events_7d', days: 3 }, // not a clock
      { feature: 'no_such_feature', days: 3 },
      { feature: 'days_since_first_purchase', days: 90 }, // 0 without any purchase
    ];
    expect(nextDeadline(vec({ days_since_last_purchase: 364 }), 0, NOW, th)).toBe(Infinity);
    expect(nextDeadline(vec({ purchases_lifetime: 1 }), 0, NOW, th)).toBe(NOW + 90 * DAY_MS);
    expect(isClockFeature('days_since_last_app_open')).toBe(true);
    expect(isClockFeature('tenure_days')).toBe(true);
    expect(isClockFeature('events_7d')).toBe(false);
  });

  it('wakes at the next boundary of the finest non-empty window', () => {
    expect(nextDeadline(vec({ views_1d: 1, events_90d: 3 }), 0, NOW, [])).toBe(nextUtcDay);
    expect(nextDeadline(vec({ cart_adds_7d: 1 }), 0, NOW, [])).toBe(nextUtcDay);
    // 2024-06-15 is epoch day 19889: the 5-day tile ends at day 19890, the 15-day tile at day 19890 too.
    expect(nextDeadline(vec({ revenue_30d: 9 }), 0, NOW, [])).toBe(19_890 * DAY_MS);
    const later = NOW + 2 * DAY_MS; // day 19891: next 5-day edge 19895, next 15-day edge 19905
    expect(nextDeadline(vec({ email_open_rate_30d: 0.5 }), 0, later, [])).toBe(19_895 * DAY_MS);
    expect(nextDeadline(vec({ refunds_90d: 1 }), 0, later, [])).toBe(19_905 * DAY_MS);
    expect(nextDeadline(vec({}), 0, NOW, [])).toBe(Infinity);
  });

  it('is always strictly after now', () => {
    const th = [{ feature: 'days_since_last_activity', days: 1e-9 }];
    const v = vec({ days_since_last_activity: 0 }); // 1e-9 days (0.09 ms) to go
    expect(nextDeadline(v, 0, NOW, th)).toBe(NOW + 1);
  });
});

/** Engine-like loop on virtual time: score at the watermark, arm the customer's timer from its features. */
function arm(
  store: CustomerStore,
  s: ReturnType<typeof createDeadlineScheduler>,
  id: string,
  th: DeadlineThreshold[],
) {
  const slot = store.slotOf(id)!;
  const out = new Float32Array(FEATURE_COUNT);
  store.features(slot, store.watermarkMs, out, 0);
  s.schedule(slot, nextDeadline(out, 0, store.watermarkMs, th));
  return out;
}

/** Follows the timer chain of one silent customer until `fires(features)`; returns the event time it did. */
function firstFiring(
  store: CustomerStore,
  id: string,
  th: DeadlineThreshold[],
  fires: (f: Float32Array) => boolean,
) {
  const s = createDeadlineScheduler();
  arm(store, s, id, th);
  for (let wakeups = 0; wakeups < 100; wakeups++) {
    const next = s.deadlineOf(store.slotOf(id)!);
    if (next < 0) return -1;
    store.advanceTo(next);
    expect(s.due(next)).toEqual([store.slotOf(id)]);
    if (fires(arm(store, s, id, th))) return next;
  }
  return -1;
}

describe('timers for silent customers (virtual time)', () => {
  const get = (f: Float32Array, name: string) => f[featureIndex(name)]!;

  it('an idle watermark advance makes the cart-abandon deadline due exactly at cart_add + 1 h', () => {
    const store = createCustomerStore();
    store.apply([
      decoded(at('ann', 'page_view', '2024-06-15T10:00:00Z')),
      decoded({ ...at('ann', 'cart_add', '2024-06-15T00:00:00Z'), ts: T }),
    ]);
    const s = createDeadlineScheduler();
    const slot = store.slotOf('ann')!;
    arm(store, s, 'ann', [{ feature: 'days_since_last_cart_add', days: 1 / 24 }]);
    expect(s.deadlineOf(slot)).toBe(T + HOUR);
    // The wall clock drives the watermark in uneven steps while no event comes.
    let wm = T;
    for (const step of [1, 999, 59_000, 17 * MIN, 42 * MIN - 1]) {
      wm += step;
      store.advanceTo(wm);
      expect(s.due(store.watermarkMs)).toEqual([]);
    }
    expect(wm).toBe(T + HOUR - 1);
    store.advanceTo(T + HOUR);
    expect(s.due(store.watermarkMs)).toEqual([slot]);
    const f = new Float32Array(FEATURE_COUNT);
    store.features(slot, store.watermarkMs, f, 0);
    // The rule "days_since_last_cart_add >= 1/24" holds now, and did not 1 ms earlier.
    expect(get(f, 'days_since_last_cart_add')).toBeGreaterThanOrEqual(1 / 24);
    store.features(slot, T + HOUR - 1, f, 0);
    expect(get(f, 'days_since_last_cart_add')).toBeLessThan(1 / 24);
    expect(get(f, 'purchases_7d')).toBe(0);
  });

  it('"no app open for 7 days" fires at app_open + 7 days, after the day-boundary wake-ups', () => {
    const store = createCustomerStore();
    const open = Date.parse('2024-06-10T07:30:00Z');
    store.apply([decoded({ ...at('bo', 'app_open', '2024-06-10T00:00:00Z'), ts: open })]);
    const when = firstFiring(
      store,
      'bo',
      [{ feature: 'days_since_last_app_open', days: 7 }],
      (f) => get(f, 'days_since_last_app_open') >= 7,
    );
    expect(when).toBe(open + 7 * DAY_MS);
  });

  it('"no activity for 30 days" fires at the last event + 30 days', () => {
    const store = createCustomerStore();
    const last = Date.parse('2024-05-02T18:45:12.345Z');
    store.apply([
      decoded(at('cy', 'purchase', '2024-04-01T00:00:00Z', { value: 20 })),
      decoded({ ...at('cy', 'session', '2024-05-01T00:00:00Z', { value: 60 }), ts: last }),
    ]);
    const th = [{ feature: 'days_since_last_activity', days: 30 }];
    const when = firstFiring(store, 'cy', th, (f) => get(f, 'days_since_last_activity') >= 30);
    // Float32 days: ~30 days carry ~0.1 s of rounding; the timer lands within it.
    expect(Math.abs(when - (last + 30 * DAY_MS))).toBeLessThan(200);
  });
});

describe('earliest pending deadline', () => {
  it('always equals the minimum of the pending deadlines, through schedules, cancels and due', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('schedule' as const),
        slot: fc.nat(40),
        at: fc.integer({ min: 0, max: 500_000 }),
      }),
      fc.record({ kind: fc.constant('cancel' as const), slot: fc.nat(40) }),
      fc.record({ kind: fc.constant('due' as const), at: fc.integer({ min: 0, max: 500_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const s = createDeadlineScheduler({ granularityMs: 1000 });
        const pending = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'schedule') {
            s.schedule(o.slot, o.at);
            pending.set(o.slot, o.at);
          } else if (o.kind === 'cancel') {
            s.cancel(o.slot);
            pending.delete(o.slot);
          } else {
            for (const slot of s.due(o.at)) pending.delete(slot);
          }
          expect(s.earliest()).toBe(Math.min(Infinity, ...pending.values()));
        }
      }),
      { numRuns: 300 },
    );
  });
});
