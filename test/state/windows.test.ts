import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  WINDOW_30D,
  WINDOW_7D,
  WINDOW_90D,
  createCustomerStore,
  windowStartMs,
} from '../../src/state/index.js';
import { at, decoded, feature } from './events.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');

/** A store holding one customer whose latest event is at NOW, plus the given events (in that order). */
function storeWith(...events: ReturnType<typeof at>[]) {
  const store = createCustomerStore();
  store.apply([decoded(at('c', 'chat', new Date(NOW).toISOString())), ...events.map((e) => decoded(e))]);
  return store;
}

describe('window boundaries', () => {
  it('7d: an event at 00:00 UTC seven days before today is in, one millisecond earlier is out', () => {
    const inside = storeWith(at('c', 'purchase', '2024-06-08T00:00:00.000Z', { value: 1 }));
    const outside = storeWith(at('c', 'purchase', '2024-06-07T23:59:59.999Z', { value: 1 }));
    expect(feature(inside, 'c', 'purchases_7d', NOW)).toBe(1);
    expect(feature(outside, 'c', 'purchases_7d', NOW)).toBe(0);
    // The edge is the same at any time of today, and moves at 00:00 UTC.
    expect(feature(inside, 'c', 'purchases_7d', Date.parse('2024-06-15T23:59:59.999Z'))).toBe(1);
    expect(feature(inside, 'c', 'purchases_7d', Date.parse('2024-06-16T00:00:00Z'))).toBe(0);
    expect(windowStartMs(NOW, WINDOW_7D)).toBe(Date.parse('2024-06-08T00:00:00Z'));
  });

  it('30d: 5-day tiles from the epoch, so at NOW the window starts 2024-05-12 (34.5 days back)', () => {
    // Epoch day 19889 (2024-06-15) is in 5-day tile 3977; the window is tiles 3971..3977, from day 19855.
    const inside = storeWith(at('c', 'cart_add', '2024-05-12T00:00:00Z'));
    const outside = storeWith(at('c', 'cart_add', '2024-05-11T23:59:59.999Z'));
    expect(feature(inside, 'c', 'cart_adds_30d', NOW)).toBe(1);
    expect(feature(outside, 'c', 'cart_adds_30d', NOW)).toBe(0);
    // On the first day of the next tile (2024-06-16) the oldest tile (05-12..05-16) drops out: 30 days + today.
    expect(feature(inside, 'c', 'cart_adds_30d', Date.parse('2024-06-16T00:00:00Z'))).toBe(0);
    expect(windowStartMs(NOW, WINDOW_30D)).toBe(Date.parse('2024-05-12T00:00:00Z'));
  });

  it('90d: 15-day tiles from the epoch, so at NOW the window starts 2024-03-03 (104.5 days back)', () => {
    const inside = storeWith(at('c', 'refund', '2024-03-03T00:00:00Z', { value: 5 }));
    const outside = storeWith(at('c', 'refund', '2024-03-02T23:59:59.999Z', { value: 5 }));
    expect(feature(inside, 'c', 'refunds_90d', NOW)).toBe(1);
    expect(feature(outside, 'c', 'refunds_90d', NOW)).toBe(0);
    expect(feature(inside, 'c', 'refunds_90d', Date.parse('2024-06-16T00:00:00Z'))).toBe(0);
    expect(windowStartMs(NOW, WINDOW_90D)).toBe(Date.parse('2024-03-03T00:00:00Z'));
  });
});

describe('late events', () => {
  it('a purchase arriving 3 days late counts in 7d, 30d, 90d and lifetime, not in 1d', () => {
    const store = storeWith(at('c', 'purchase', '2024-06-12T10:00:00Z', { value: 12.5 }));
    expect(feature(store, 'c', 'purchases_lifetime', NOW)).toBe(1);
    expect(feature(store, 'c', 'purchases_7d', NOW)).toBe(1);
    expect(feature(store, 'c', 'purchases_30d', NOW)).toBe(1);
    expect(feature(store, 'c', 'purchases_90d', NOW)).toBe(1);
    expect(feature(store, 'c', 'revenue_30d', NOW)).toBeCloseTo(12.5, 5);
    expect(feature(store, 'c', 'events_1d', NOW)).toBe(1); // the chat at NOW only
    expect(feature(store, 'c', 'days_since_last_purchase', NOW)).toBeCloseTo(3 + 2 / 24, 5);
  });

  it('older than the day ring (8 days) it still counts in 30d and 90d; older than every ring, lifetime only', () => {
    const store = storeWith(
      at('c', 'purchase', '2024-05-26T00:00:00Z', { value: 10 }), // 20 days late
      at('c', 'purchase', '2023-12-01T00:00:00Z', { value: 7 }), // ~200 days late
    );
    expect(feature(store, 'c', 'purchases_7d', NOW)).toBe(0);
    expect(feature(store, 'c', 'purchases_30d', NOW)).toBe(1);
    expect(feature(store, 'c', 'purchases_90d', NOW)).toBe(1);
    expect(feature(store, 'c', 'revenue_90d', NOW)).toBeCloseTo(10, 5);
    expect(feature(store, 'c', 'purchases_lifetime', NOW)).toBe(2);
    expect(feature(store, 'c', 'revenue_lifetime', NOW)).toBeCloseTo(17, 5);
    expect(feature(store, 'c', 'tenure_days', NOW)).toBeCloseTo((NOW - Date.parse('2023-12-01')) / DAY_MS, 3);
  });
});

describe('idle expiry', () => {
  it('advanceTo moves the windows on: counts fall to 0 and recency grows', () => {
    const store = storeWith(at('c', 'session', '2024-06-15T11:00:00Z', { value: 60 }));
    expect(feature(store, 'c', 'sessions_7d', store.watermarkMs)).toBe(1);
    store.advanceTo(NOW + 8 * DAY_MS);
    expect(store.watermarkMs).toBe(NOW + 8 * DAY_MS);
    const wm = store.watermarkMs;
    expect(feature(store, 'c', 'events_7d', wm)).toBe(0);
    expect(feature(store, 'c', 'sessions_30d', wm)).toBe(1);
    expect(feature(store, 'c', 'days_since_last_activity', wm)).toBeCloseTo(8, 5);
    store.advanceTo(NOW + 120 * DAY_MS);
    const later = store.watermarkMs;
    for (const name of ['events_1d', 'events_7d', 'events_30d', 'events_90d', 'session_seconds_30d']) {
      expect(feature(store, 'c', name, later)).toBe(0);
    }
    expect(feature(store, 'c', 'engagement_trend', later)).toBe(1);
    expect(feature(store, 'c', 'preferred_channel', later)).toBe(-1);
    expect(feature(store, 'c', 'days_since_last_activity', later)).toBeCloseTo(120, 4);
  });

  it('advanceTo never moves the watermark backwards', () => {
    const store = storeWith();
    store.advanceTo(NOW - DAY_MS);
    expect(store.watermarkMs).toBe(NOW);
  });
});
