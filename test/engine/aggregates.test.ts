import { describe, expect, it } from 'vitest';
import { createAggregator } from '../../src/engine/aggregates.js';
import { createScoreChanges } from '../../src/publish/index.js';
import { createCustomerStore } from '../../src/state/index.js';
import type { DecodedEvent } from '../../src/decode/types.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);
let seq = 0;
const ev = (customerId: string, type: string, daysAgo: number, value?: number): DecodedEvent => ({
  event: { customerId, type, ts: NOW - daysAgo * DAY, ...(value === undefined ? {} : { value }) },
  subject: `events.${customerId}.${type}`,
  data: new Uint8Array(),
  streamSeq: ++seq,
  publishedAtMs: NOW,
});

describe('createAggregator', () => {
  it('has no pass (passes 0: "not ready") until a pass over at least one customer completes', () => {
    const store = createCustomerStore({});
    const published = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
    const agg = createAggregator(store, published, { retentionPeriodDays: 30, churnAfterDays: 90 });
    agg.step(NOW, 100); // a fresh engine: a "pass" over nobody is no answer
    agg.step(NOW, 100);
    expect(agg.current().passes).toBe(0);
    store.apply([ev('z', 'page_view', 1)]);
    agg.step(NOW, 100);
    expect(agg.current()).toMatchObject({ passes: 1, customers: 1 });
  });

  it('computes retention (CE − CN) / CS × 100, average CLV, points, stages and risk over full passes', () => {
    const store = createCustomerStore({});
    store.apply([
      ev('a', 'purchase', 100, 50), // a customer before the period, still active
      ev('a', 'page_view', 1),
      ev('b', 'purchase', 10, 30), // acquired during the 30-day period
      ev('c', 'page_view', 200), // gone long before the period
      ev('c', 'page_view', 150),
      ev('d', 'signup', 60), // a customer at the start who cancelled since
      ev('d', 'cancel', 20),
      ev('d', 'loyalty_redeem', 20, 5),
    ]);
    store.advanceTo(NOW);
    const published = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
    published.changed(store.slotOf('a') as number, 0.1, 50, 4);
    published.changed(store.slotOf('b') as number, 0.9, 20, 3);
    const agg = createAggregator(store, published, { retentionPeriodDays: 30, churnAfterDays: 90 });
    expect(agg.current()).toMatchObject({ asOfMs: 0, passes: 0 });
    agg.step(NOW, 2); // a pass in slices: nothing is reported until it completes
    expect(agg.current()).toMatchObject({ asOfMs: 0, passes: 0 });
    agg.step(NOW, 2);
    const a = agg.current();
    expect(a.asOfMs).toBe(NOW);
    expect(a.passes).toBe(1);
    expect(a.customers).toBe(4);
    // CS = {a, d}; CE = {a, b}; CN = {b}.
    expect(a.retention).toEqual({ start: 2, end: 2, acquired: 1 });
    expect(a.retentionRate).toBe(50);
    expect(a.averageClv).toBe(20);
    expect(a.loyaltyPointsOutstanding).toBe(80);
    expect(a.stages).toMatchObject({ repeat: 1, first_purchase: 1, awareness: 0 });
    expect(a.risk).toEqual({ '0.0-0.2': 1, '0.2-0.4': 0, '0.4-0.6': 0, '0.6-0.8': 0, '0.8-1.0': 1 });
  });
});
