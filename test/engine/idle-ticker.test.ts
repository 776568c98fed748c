import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { createIdleTick, idleTicker } from '../../src/engine/idle-ticker.js';
import type { IngestTotals } from '../../src/engine/index.js';
import { createCustomerStore, featureIndex, FEATURE_COUNT } from '../../src/state/index.js';
import type { DecodedEvent } from '../../src/decode/types.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 12);

function event(customerId: string, ts: number, seq: number): DecodedEvent {
  return {
    event: { customerId, type: 'page_view', ts },
    subject: `events.${customerId}.page_view`,
    data: new Uint8Array(),
    streamSeq: seq,
    publishedAtMs: ts,
  };
}

function setup() {
  const store = createCustomerStore({});
  store.apply([event('a', T0, 1), event('b', T0, 2)]);
  const totals: IngestTotals = { events: 2, deadLetters: 0, duplicates: 0, lastEventWallMs: 0 };
  return { store, totals };
}

describe('idle ticks', () => {
  it('advance event time by the wall clock once the stream is idle, so windows expire and recency grows', () => {
    const { store, totals } = setup();
    let wall = 0;
    const tick = createIdleTick(store, totals, {
      idleAfterMs: 1_000,
      rescoreSweepMs: 240_000,
      tickMs: 60_000,
      clock: () => wall,
    });
    const swept: number[] = [];
    for (wall = 60_000; wall <= 2 * DAY; wall += 60_000) swept.push(...tick().keys);

    expect(store.watermarkMs).toBe(T0 + 2 * DAY);
    const out = new Float32Array(FEATURE_COUNT);
    store.features(store.slotOf('a') as number, store.watermarkMs, out, 0);
    expect(out[featureIndex('events_1d')]).toBe(0);
    expect(out[featureIndex('events_7d')]).toBe(1);
    expect(out[featureIndex('days_since_last_activity')]).toBeCloseTo(2, 3);
    // The sweep re-scores every customer, again and again, while nothing happens.
    expect(swept.filter((k) => k === 0).length).toBeGreaterThan(500);
    expect(new Set(swept)).toEqual(new Set([0, 1]));
  });

  it('leave event time alone while events keep coming', () => {
    const { store, totals } = setup();
    let wall = 0;
    const tick = createIdleTick(store, totals, {
      idleAfterMs: 1_000,
      rescoreSweepMs: 60_000,
      clock: () => wall,
    });
    for (wall = 250; wall < 10_000; wall += 250) {
      totals.lastEventWallMs = wall;
      tick();
    }
    expect(store.watermarkMs).toBe(T0);
  });

  it('run on the given scheduler, one batch per tick', () => {
    const { store, totals } = setup();
    const scheduler = new VirtualTimeScheduler(undefined, 1_000);
    const batches: number[][] = [];
    const sub = idleTicker(store, totals, {
      idleAfterMs: 100_000,
      rescoreSweepMs: 500,
      tickMs: 250,
      clock: () => scheduler.now(),
      scheduler,
    }).subscribe((b) => batches.push([...b.keys]));
    scheduler.flush();
    sub.unsubscribe();
    expect(batches).toEqual([[0], [1], [0], [1]]);
  });
});
