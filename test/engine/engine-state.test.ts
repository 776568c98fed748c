import { describe, expect, it } from 'vitest';
import { createCustomerLifecycle } from '../../src/engine/customer-lifecycle.js';
import { captureSlots, joinSlots, loadEngineState, type EngineParts } from '../../src/engine/engine-state.js';
import { createEvaluationPlanner } from '../../src/engine/evaluation-planner.js';
import { RowBuffer } from '../../src/engine/evaluation-rows.js';
import { HeldUpdates } from '../../src/engine/held-updates.js';
import { createScoreChanges } from '../../src/publish/index.js';
import { compileSegmentRules } from '../../src/segment/index.js';
import { createCustomerStore, DAY_MS } from '../../src/state/index.js';
import { at, decoded } from '../state/events.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');
const RULES = compileSegmentRules({ segments: [] }, '(none)');

function engineParts(): Required<EngineParts> {
  const store = createCustomerStore();
  const published = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
  const lifecycle = createCustomerLifecycle(RULES, store, published);
  const planner = createEvaluationPlanner({
    store,
    rows: new RowBuffer(),
    rules: RULES,
    rescoreIntervalMs: DAY_MS,
  });
  return { store, published, lifecycle, planner, held: new HeldUpdates() };
}

/** Applies one event for `id` as the engine does: into the store, then its evaluation and timer, then an update. */
function event(parts: Required<EngineParts>, id: string, ts: number, seq: number): number {
  const slot = parts.store.applyOne(decoded(at(id, 'page_view', new Date(ts).toISOString()), seq));
  parts.planner.onEvent(slot, ts);
  parts.published.nextSeq(slot);
  parts.held.hold(slot, ts);
  return slot;
}

function erase(parts: Required<EngineParts>, id: string): void {
  const slot = parts.store.slotOf(id)!;
  parts.store.remove(id);
  parts.published.forget(slot);
  parts.lifecycle.forget(slot);
  parts.planner.forget(slot);
  parts.held.drop(slot);
}

describe('loading a snapshot captured in slices', () => {
  it('drops everything saved for the earlier slot of a customer who left and came back between slices', () => {
    const parts = engineParts();
    ['x', 'a', 'b', 'y'].forEach((id, i) => event(parts, id, NOW - DAY_MS, i + 1));
    const first = captureSlots(parts, 0, 2);
    erase(parts, 'x');
    erase(parts, 'y');
    expect(event(parts, 'x', NOW, 5)).toBe(3);
    const content = joinSlots([first, captureSlots(parts, 2, 4)], 5, 0);

    const restored = engineParts();
    loadEngineState(restored, content, 'sliced');
    expect([restored.store.slotOf('x'), restored.store.size, restored.store.isLive(0)]).toEqual([
      3,
      3,
      false,
    ]);
    // Slot 0 keeps nothing of x's earlier copy: no sequence, no timer, no held update.
    expect(restored.published.seq(0)).toBe(0);
    expect(restored.planner.pendingTimers).toBe(3);
    expect(restored.held.size).toBe(3);
    expect(restored.published.seq(3)).toBe(parts.published.seq(3));
  });
});
