import type { ScoreUpdate } from '../contract/score-update.js';
import { STAGES, type Stage } from '../score/types.js';
import type { ScoreChanges } from './score-changes.js';

/** The columnar result of scoring one micro-batch, as the score stage hands it over. */
export interface ScoredColumns {
  readonly slots: readonly number[];
  readonly churnRisk: Float32Array;
  readonly engagement: Uint8Array;
  /** Index into STAGES. */
  readonly stage: Uint8Array;
  /** BG/NBD P(alive) per row, when the model's manifest carries BG/NBD parameters. */
  readonly pAlive?: Float32Array;
  /** BG/NBD expected purchases over the configured horizon per row (with `pAlive`). */
  readonly expectedPurchases?: Float32Array;
  /** Predicted CLV over the configured horizon per row (with `pAlive`, when the model has Gamma-Gamma). */
  readonly predictedClv?: Float32Array;
  /** Top reasons behind each row's churn risk, when the model explains itself. */
  readonly reasons?: readonly ScoreUpdate['reasons'][];
}

/** What a score update needs besides the scores. */
export interface UpdateContext {
  readonly customerId: (slot: number) => string;
  readonly model: { readonly name: string; readonly version: string };
  /** The event time the scores reflect (epoch ms): one for the batch, or one per row. */
  readonly eventTime: number | ArrayLike<number>;
  /**
   * The customer's segments as of the row: a bit per segment (compared) and their names (published).
   * @param row the batch row (a customer may have several rows in one batch)
   */
  readonly segments?: (slot: number, row: number) => { readonly mask: number; readonly names: string[] };
}

/**
 * Turns a scored micro-batch into the score updates worth publishing: only customers whose scores moved beyond
 * the configured deltas (or whose stage changed), each with its next per-customer sequence number. Returns the
 * batch positions of the published customers alongside, for freshness measurement.
 */
export function changedScoreUpdates(
  scored: ScoredColumns,
  changes: ScoreChanges,
  ctx: UpdateContext,
): { updates: ScoreUpdate[]; positions: number[] } {
  const updates: ScoreUpdate[] = [];
  const positions: number[] = [];
  for (let i = 0; i < scored.slots.length; i++) {
    const update = changedScoreUpdate(scored, i, changes, ctx);
    if (update === undefined) continue;
    positions.push(i);
    updates.push(update);
  }
  return { updates, positions };
}

/** Row `i` of {@link changedScoreUpdates}: its update when it is worth publishing, else undefined. */
export function changedScoreUpdate(
  scored: ScoredColumns,
  i: number,
  changes: ScoreChanges,
  ctx: UpdateContext,
): ScoreUpdate | undefined {
  const slot = scored.slots[i] as number;
  // Rounded so the payload carries what was compared (Float32 noise would otherwise leak into consumers).
  const risk = Math.round((scored.churnRisk[i] as number) * 10_000) / 10_000;
  const engagement = scored.engagement[i] as number;
  const stageIndex = scored.stage[i] as number;
  const seg = ctx.segments?.(slot, i);
  if (!changes.changed(slot, risk, engagement, stageIndex, seg?.mask ?? 0)) return undefined;
  return {
    customerId: ctx.customerId(slot),
    seq: changes.seq(slot),
    eventTime: typeof ctx.eventTime === 'number' ? ctx.eventTime : (ctx.eventTime[i] as number),
    churnRisk: risk,
    engagement,
    stage: STAGES[stageIndex] as Stage,
    segments: seg?.names ?? [],
    reasons: scored.reasons?.[i] ?? [],
    model: ctx.model,
    ...bgnbdFields(scored, i),
  };
}

/** P(alive), expected purchases and predicted CLV (cents), rounded, when the batch has them. */
function bgnbdFields(
  scored: ScoredColumns,
  i: number,
): Pick<ScoreUpdate, 'pAlive' | 'expectedPurchases' | 'predictedClv'> {
  const alive = scored.pAlive?.[i];
  const expected = scored.expectedPurchases?.[i];
  if (
    alive === undefined ||
    expected === undefined ||
    !Number.isFinite(alive) ||
    !Number.isFinite(expected)
  ) {
    return {};
  }
  const clv = scored.predictedClv?.[i];
  return {
    pAlive: Math.round(alive * 10_000) / 10_000,
    expectedPurchases: Math.round(expected * 1_000) / 1_000,
    ...(clv !== undefined && Number.isFinite(clv) ? { predictedClv: Math.round(clv * 100) / 100 } : {}),
  };
}
