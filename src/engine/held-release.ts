import { ChurnflowError } from '../contract/codes.js';
import type { ScoreUpdate } from '../contract/score-update.js';
import { changedScoreUpdates, type ScoreChanges } from '../publish/index.js';
import type { Scorer } from '../score/index.js';
import { FEATURE_COUNT } from '../state/feature-catalog.js';
import type { CustomerStore } from '../state/types.js';
import type { CustomerLifecycle } from './customer-lifecycle.js';
import type { RowBuffer } from './evaluation-rows.js';
import type { HeldUpdates } from './held-updates.js';
import type { ScoredOutput } from './score-stage.js';

/** Dependencies of {@link createHeldRelease}. */
export interface HeldReleaseDeps {
  readonly held: HeldUpdates;
  readonly store: CustomerStore;
  readonly scorer: Scorer;
  readonly published: ScoreChanges;
  readonly lifecycle: CustomerLifecycle;
  readonly idOf: (slot: number) => string;
  readonly modelRef: (name: string, version: string) => Readonly<{ name: string; version: string }>;
}

/**
 * Publishes held updates once the engine has caught up: up to `max` customers per call, each scored again at the
 * event time of its latest held evaluation, with its current segments, and published only when it differs from
 * what the customer last had published (so at most one update per customer for the whole backlog). Nothing here
 * evaluates segments or stages: lifecycle events were published as they happened.
 */
export function createHeldRelease(deps: HeldReleaseDeps): (max: number) => Promise<ScoreUpdate[]> {
  const { held, store, scorer, published, lifecycle } = deps;
  /** Scores and compares a group of held customers; a model that fails on some is retried on halves, as rows are. */
  const release = async (slots: number[], atMs: Float64Array): Promise<ScoreUpdate[]> => {
    try {
      return await scoreHeld(slots, atMs);
    } catch (err) {
      if (!(err instanceof ChurnflowError) || err.code !== 'MODEL_INVALID') throw err;
      if (slots.length === 1) return []; // the row path counted and logged this customer's failure
      const mid = slots.length >> 1;
      return [
        ...(await release(slots.slice(0, mid), atMs.subarray(0, mid))),
        ...(await release(slots.slice(mid), atMs.subarray(mid))),
      ];
    }
  };
  const scoreHeld = async (slots: number[], atMs: Float64Array): Promise<ScoreUpdate[]> => {
    const features = new Float32Array(slots.length * FEATURE_COUNT);
    slots.forEach((slot, i) => store.features(slot, atMs[i]!, features, i * FEATURE_COUNT));
    let changed: { updates: ScoreUpdate[]; positions: number[] } = { updates: [], positions: [] };
    const scored = await scorer.score(
      slots,
      (batch) => {
        changed = changedScoreUpdates(batch, published, {
          customerId: deps.idOf,
          model: deps.modelRef(batch.modelName, batch.modelVersion),
          eventTime: atMs,
          segments: (slot) => lifecycle.segmentsOf(slot),
        });
        return changed.positions;
      },
      features,
    );
    changed.positions.forEach((row, j) => {
      const reasons = scored.reasons?.[row];
      if (reasons !== undefined) (changed.updates[j] as ScoreUpdate).reasons = reasons;
    });
    return changed.updates;
  };
  return async (max) => {
    const { slots, atMs } = held.take(max);
    return slots.length === 0 ? [] : release(slots, atMs);
  };
}

/** A batch's output with held updates released after it (no row, so no freshness sample). */
export function withReleased(
  out: ScoredOutput | undefined,
  released: ScoreUpdate[],
): ScoredOutput | undefined {
  if (released.length === 0) return out;
  const base = out ?? {
    updates: [],
    positions: [],
    events: { segmentChanges: [], stageTransitions: [], masks: new Uint32Array(0), dwellExits: [] },
    sinceMs: new Float64Array(0),
  };
  return {
    ...base,
    updates: [...base.updates, ...released],
    positions: [...base.positions, ...released.map(() => -1)],
  };
}

/**
 * The micro-batcher's queue: the rows, and once held updates may go out (`releasable`), work even without rows —
 * the batcher then takes (possibly empty) batches until they are all out.
 */
export function rowsOrReleases(rows: RowBuffer, releasable: () => boolean) {
  return {
    get pending() {
      return rows.pending || releasable();
    },
    get length() {
      return rows.length;
    },
    take: (max: number) => rows.take(max),
  };
}
