import { FEATURE_COUNT } from '../state/feature-catalog.js';
import type { RowBatch } from './evaluation-rows.js';
import type { ScoredOutput } from './score-stage.js';

/** Rows `from` to `to` of a batch; what follows them (the rest of the batch, then its own later rows) bounds it. */
export function sliceRows(batch: RowBatch, from: number, to: number): RowBatch {
  let laterMinMs = batch.laterMinMs;
  for (let i = to; i < batch.slots.length; i++) laterMinMs = Math.min(laterMinMs, batch.atMs[i] as number);
  return {
    slots: batch.slots.slice(from, to),
    atMs: batch.atMs.slice(from, to),
    sinceMs: batch.sinceMs.slice(from, to),
    kind: batch.kind.slice(from, to),
    backlog: batch.backlog.slice(from, to),
    features: batch.features.slice(from * FEATURE_COUNT, to * FEATURE_COUNT),
    laterMinMs,
  };
}

/** The outputs of two consecutive slices as one output of the whole batch (`offset`: rows in the first). */
export function joinOutputs(
  a: ScoredOutput | undefined,
  b: ScoredOutput | undefined,
  offset: number,
  sinceMs: Float64Array,
): ScoredOutput | undefined {
  if (a === undefined || b === undefined) return a ?? shift(b, offset, sinceMs);
  const shifted = shift(b, offset, sinceMs) as ScoredOutput;
  const masks = new Uint32Array(a.events.masks.length + shifted.events.masks.length);
  masks.set(a.events.masks);
  masks.set(shifted.events.masks, a.events.masks.length);
  return {
    updates: [...a.updates, ...shifted.updates],
    positions: [...a.positions, ...shifted.positions],
    events: {
      segmentChanges: [...a.events.segmentChanges, ...shifted.events.segmentChanges],
      stageTransitions: [...a.events.stageTransitions, ...shifted.events.stageTransitions],
      masks,
      dwellExits: [...a.events.dwellExits, ...shifted.events.dwellExits],
    },
    sinceMs,
  };
}

/** An output of the slice starting at row `offset`, with row positions in terms of the whole batch. */
function shift(
  out: ScoredOutput | undefined,
  offset: number,
  sinceMs: Float64Array,
): ScoredOutput | undefined {
  if (out === undefined) return undefined;
  return {
    ...out,
    positions: out.positions.map((p) => (p < 0 ? p : p + offset)),
    events: {
      ...out.events,
      dwellExits: out.events.dwellExits.map((d) => ({ ...d, beforeRow: d.beforeRow + offset })),
    },
    sinceMs,
  };
}
