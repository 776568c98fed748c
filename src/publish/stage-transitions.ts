import type { StateReader, StateWriter } from '../snapshot/state-io.js';
import type { StageTransition } from '../contract/lifecycle-events.js';
import { STAGES, type Stage } from '../score/types.js';

/** Why a customer is in a stage: the rule of docs/scoring.md that decided, in words. */
const STAGE_REASONS: Record<Stage, string> = {
  churned: 'explicit cancel, or no activity for the churn period',
  lapsed: 'no activity for the lapse period, or a past buyer without a recent purchase',
  at_risk: 'active customer whose churn risk reached the at-risk threshold',
  advocate: 'repeat buyer who refers, shares or answers NPS as a promoter',
  repeat: 'two or more purchases',
  first_purchase: 'exactly one purchase',
  evaluation: 'cart or checkout activity without a purchase',
  nurture: 'engaged: visits, sessions or message clicks',
  awareness: 'known, not yet engaged',
};

/** Columnar memory of each customer's stage, since when and how many transitions, to emit them (9 B per customer). */
export interface StageTransitions {
  /** The transition when the slot's stage differs from the last one seen (first sight: from null), else undefined. */
  observe(
    slot: number,
    customerId: string,
    stageIndex: number,
    eventTime: number,
  ): StageTransition | undefined;
  /** Forgets a slot (erase, slot reuse): its next stage is a first sight again. */
  forget(slot: number): void;
  saveState(w: StateWriter, from: number, to: number): void;
  loadState(r: StateReader): void;
}

/** Creates a {@link StageTransitions} tracker grown by doubling. */
export function createStageTransitions(initialCapacity = 1024): StageTransitions {
  let stage = new Int8Array(0);
  let sinceSec = new Uint32Array(0);
  let count = new Uint32Array(0);
  const grow = (slot: number): void => {
    let next = Math.max(stage.length, initialCapacity);
    while (next <= slot) next *= 2;
    const s = new Int8Array(next).fill(-1);
    s.set(stage);
    const t = new Uint32Array(next);
    t.set(sinceSec);
    const c = new Uint32Array(next);
    c.set(count);
    [stage, sinceSec, count] = [s, t, c];
  };
  return {
    observe(slot, customerId, stageIndex, eventTime) {
      if (slot >= stage.length) grow(slot);
      const prior = stage[slot] as number;
      if (prior === stageIndex) return undefined;
      const nowSec = Math.floor(eventTime / 1000);
      const dwellMs = prior < 0 ? 0 : Math.max(0, nowSec - (sinceSec[slot] as number)) * 1000;
      stage[slot] = stageIndex;
      sinceSec[slot] = nowSec;
      const n = (count[slot] = (count[slot] as number) + 1);
      const to = STAGES[stageIndex] as Stage;
      return {
        customerId,
        from: prior < 0 ? null : (STAGES[prior] as Stage),
        to,
        reason: STAGE_REASONS[to],
        dwellMs,
        eventTime,
        // Deterministic inputs only (evaluation time, the customer's transition count): a replay re-derives it.
        idempotencyKey: `stage:${customerId}:${to}:${eventTime}:${n}`,
      };
    },
    saveState(w, from, to) {
      if (to > stage.length && to > 0) grow(to - 1);
      w.array('stage', stage.subarray(from, to));
      w.array('sinceSec', sinceSec.subarray(from, to));
      w.array('count', count.subarray(from, to));
    },
    loadState(r) {
      const saved = r.array('stage', Int8Array);
      if (saved.length > 0) grow(saved.length - 1);
      stage.set(saved);
      sinceSec.set(r.array('sinceSec', Uint32Array));
      count.set(r.array('count', Uint32Array));
    },
    forget(slot) {
      if (slot >= stage.length) return;
      stage[slot] = -1;
      sinceSec[slot] = 0;
      count[slot] = 0;
    },
  };
}
