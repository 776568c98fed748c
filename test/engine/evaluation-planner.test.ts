import { describe, expect, it } from 'vitest';
import type { DecodedEvent } from '../../src/decode/types.js';
import { createEvaluationPlanner } from '../../src/engine/evaluation-planner.js';
import { RowBuffer } from '../../src/engine/evaluation-rows.js';
import { compileSegmentRules } from '../../src/segment/index.js';
import { createCustomerStore } from '../../src/state/index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1, 12);

function event(customerId: string, ts: number, seq: number): DecodedEvent {
  return {
    event: { customerId, type: 'page_view', ts },
    subject: `events.${customerId}.page_view`,
    data: new Uint8Array(),
    streamSeq: seq,
    publishedAtMs: ts,
  };
}

function setup(customers: number) {
  const store = createCustomerStore({});
  const rows = new RowBuffer(16);
  const planner = createEvaluationPlanner({
    store,
    rows,
    rules: compileSegmentRules({ segments: [] }, 'none'),
    rescoreIntervalMs: DAY,
  });
  for (let i = 0; i < customers; i++) {
    const d = event(`c${i}`, T0 + i, i + 1);
    planner.advance(d.event.ts);
    planner.onEvent(store.applyOne(d), d.publishedAtMs);
  }
  return { store, rows, planner };
}

describe('evaluation planner', () => {
  it('evaluates each event at the clock and arms the next deadline', () => {
    const { rows, planner } = setup(3);
    expect(rows.length).toBe(3);
    const batch = rows.take(10);
    expect(Array.from(batch.atMs)).toEqual([T0, T0 + 1, T0 + 2]);
    expect(Array.from(batch.sinceMs)).toEqual([T0, T0 + 1, T0 + 2]);
    expect(planner.pendingTimers).toBe(3);
    expect(planner.earliestDeadline()).toBeGreaterThan(T0);
  });

  it('fires every deadline the clock passes, each customer in deadline order, at the deadline', () => {
    const { rows, planner } = setup(2);
    rows.take(10);
    expect(planner.advance(T0 + 3 * DAY)).toBe(true);
    const b = rows.take(1000);
    for (const slot of [0, 1]) {
      const times = Array.from(b.atMs).filter((_, i) => b.slots[i] === slot);
      expect(times.length).toBeGreaterThanOrEqual(3);
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(times.every((t) => t > T0 && t <= T0 + 3 * DAY)).toBe(true);
    }
    expect(Array.from(b.sinceMs).every(Number.isNaN)).toBe(true);
    expect(planner.earliestDeadline()).toBeGreaterThan(T0 + 3 * DAY);
  });

  it('cuts a long jump into steps of at most maxRows and makes the same rows as one go', () => {
    const whole = setup(500);
    whole.rows.take(1e6);
    whole.planner.advance(T0 + 10 * DAY);
    const all = whole.rows.take(1e9);

    const steps = setup(500);
    steps.rows.take(1e6);
    const slots: number[] = [];
    const at: number[] = [];
    let calls = 0;
    while (!steps.planner.advance(T0 + 10 * DAY, 256)) {
      calls++;
      expect(steps.rows.length).toBeLessThanOrEqual(256);
      const b = steps.rows.take(1e9);
      slots.push(...b.slots);
      at.push(...b.atMs);
    }
    const b = steps.rows.take(1e9);
    slots.push(...b.slots);
    at.push(...b.atMs);
    expect(calls).toBeGreaterThan(10);
    expect(slots).toEqual(all.slots);
    expect(at).toEqual(Array.from(all.atMs));
  });
});
