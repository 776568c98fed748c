import type { StateReader, StateWriter } from '../snapshot/state-io.js';

/** What was last published for each customer slot, to publish only real changes. */
export interface ScoreChanges {
  /**
   * True when the slot's new scores differ from the last published ones beyond the deltas (or were never
   * published); in that case records them and advances the slot's sequence number.
   */
  changed(
    slot: number,
    churnRisk: number,
    engagement: number,
    stageIndex: number,
    segmentsMask?: number,
  ): boolean;
  /** The slot's last published sequence number (0: never; otherwise above `seqBase`). */
  seq(slot: number): number;
  /** Last published churn risk (NaN: never). */
  risk(slot: number): number;
  /** Last published stage index (-1: never). */
  stage(slot: number): number;
  /** Last published engagement (-1: never). */
  engagement(slot: number): number;
  /** Slots tracked (the highest slot + 1). */
  readonly capacity: number;
  /** Writes slots `from` to `to` for a snapshot. */
  saveState(w: StateWriter, from: number, to: number): void;
  /** Takes a snapshot's columns (sequence numbers continue from the counts, above this engine's base). */
  loadState(r: StateReader): void;
  /** Forgets a slot (erase): nothing published, sequence count back to 0 for whoever gets the slot next. */
  forget(slot: number): void;
  /** Advances the slot's sequence for an update that is not a score change (an eviction) and returns it. */
  nextSeq(slot: number): number;
}

/** Churn risk is published with 4 decimals: 1 unit = 0.0001. */
const RISK_UNITS = 10_000;

/** Thresholds of {@link createScoreChanges}. */
export interface ScoreDeltas {
  readonly minRiskDelta: number;
  readonly minEngagementDelta: number;
}

/**
 * Columnar per-slot memory of the last published scores: 2 + 2 + 1 + 4 + 4 = 13 bytes per customer, grown by
 * doubling. A stage or segment-membership change always publishes; risk and engagement publish when they move at least their delta (a
 * delta of 0 publishes every re-score). Sequence numbers are `seqBase` + the customer's update count; the engine
 * passes its start time in ms × 1000, so they keep increasing across restarts (as long as no customer gets
 * more than 1000 updates per millisecond of the previous run's life).
 */
export function createScoreChanges(deltas: ScoreDeltas, seqBase = 0, initialCapacity = 1024): ScoreChanges {
  const riskDeltaUnits = Math.round(deltas.minRiskDelta * RISK_UNITS);
  let capacity = 0;
  // Risk in whole 1e-4 units (what updates carry): compared exactly, so a move of exactly the delta publishes.
  let risk = new Int16Array(0);
  let engagement = new Int16Array(0);
  let stage = new Int8Array(0);
  let seq = new Uint32Array(0);
  let segments = new Uint32Array(0);

  const grow = (slot: number): void => {
    let next = Math.max(capacity, initialCapacity);
    while (next <= slot) next *= 2;
    const r = new Int16Array(next).fill(-1);
    r.set(risk);
    const e = new Int16Array(next).fill(-1);
    e.set(engagement);
    const s = new Int8Array(next).fill(-1);
    s.set(stage);
    const q = new Uint32Array(next);
    q.set(seq);
    const m = new Uint32Array(next);
    m.set(segments);
    [risk, engagement, stage, seq, segments, capacity] = [r, e, s, q, m, next];
  };

  return {
    get capacity() {
      return capacity;
    },
    changed(slot, churnRisk, eng, stageIndex, segmentsMask = 0) {
      if (slot >= capacity) grow(slot);
      const prevRisk = risk[slot] as number;
      const units = Math.round(churnRisk * RISK_UNITS);
      const moved =
        stage[slot] !== stageIndex ||
        segments[slot] !== segmentsMask >>> 0 ||
        prevRisk < 0 ||
        Math.abs(units - prevRisk) >= riskDeltaUnits ||
        Math.abs(eng - (engagement[slot] as number)) >= deltas.minEngagementDelta;
      if (!moved) return false;
      risk[slot] = units;
      engagement[slot] = eng;
      stage[slot] = stageIndex;
      segments[slot] = segmentsMask >>> 0;
      seq[slot] = (seq[slot] as number) + 1;
      return true;
    },
    seq: (slot) => {
      const n = slot < capacity ? (seq[slot] as number) : 0;
      return n === 0 ? 0 : seqBase + n;
    },
    risk: (slot) => {
      const units = slot < capacity ? (risk[slot] as number) : -1;
      return units < 0 ? Number.NaN : units / RISK_UNITS;
    },
    saveState(w, from, to) {
      if (to > capacity && to > 0) grow(to - 1);
      w.array('risk', risk.subarray(from, to));
      w.array('engagement', engagement.subarray(from, to));
      w.array('stage', stage.subarray(from, to));
      w.array('seq', seq.subarray(from, to));
      w.array('segments', segments.subarray(from, to));
    },
    nextSeq(slot) {
      if (slot >= capacity) grow(slot);
      seq[slot] = (seq[slot] as number) + 1;
      return seqBase + seq[slot];
    },
    forget(slot) {
      if (slot >= capacity) return;
      risk[slot] = -1;
      engagement[slot] = -1;
      stage[slot] = -1;
      seq[slot] = 0;
      segments[slot] = 0;
    },
    loadState(r) {
      const saved = r.array('seq', Uint32Array);
      if (saved.length > 0) grow(saved.length - 1);
      risk.set(r.array('risk', Int16Array));
      engagement.set(r.array('engagement', Int16Array));
      stage.set(r.array('stage', Int8Array));
      seq.set(saved);
      segments.set(r.array('segments', Uint32Array));
    },
    stage: (slot) => (slot < capacity ? (stage[slot] as number) : -1),
    engagement: (slot) => (slot < capacity ? (engagement[slot] as number) : -1),
  };
}
