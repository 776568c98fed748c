import { requireFeatureIndex, FEATURE_COUNT } from '../state/feature-catalog.js';
import { bgnbdExpectedPurchases, bgnbdPAlive } from './bgnbd.js';
import type { ModelManifest } from './manifest.js';
import type { ChurnModel } from './types.js';

const PURCHASES = requireFeatureIndex('purchases_lifetime');
const SINCE_FIRST_PURCHASE = requireFeatureIndex('days_since_first_purchase');
const SINCE_LAST_PURCHASE = requireFeatureIndex('days_since_last_purchase');

/**
 * BG/NBD P(alive) and expected purchases over `horizonDays` for each row of a feature matrix, with the parameters
 * the model's manifest carries (fitted on the same history by `churnflow train`); nothing when it has none.
 * Per customer: x = repeat purchases (purchases − 1), T = time since the first purchase, tx = T − time since the
 * last one, in the manifest's time unit. A customer who never bought is at x = tx = T = 0: P(alive) = 1 and the
 * expected purchases are the population's.
 */
export function bgnbdColumns(
  model: ChurnModel,
  features: Float32Array,
  rows: number,
  horizonDays: number,
): { pAlive?: Float32Array; expectedPurchases?: Float32Array } {
  const p = (model as { manifest?: ModelManifest }).manifest?.bgnbd;
  if (p === undefined) return {};
  const pAlive = new Float32Array(rows);
  const expectedPurchases = new Float32Array(rows);
  const unit = p.timeUnitDays;
  const t = horizonDays / unit;
  for (let i = 0; i < rows; i++) {
    const o = i * FEATURE_COUNT;
    const purchases = features[o + PURCHASES] as number;
    const x = purchases > 0 ? purchases - 1 : 0;
    const T = purchases > 0 ? (features[o + SINCE_FIRST_PURCHASE] as number) / unit : 0;
    // days_since_last_purchase is capped at 365: clamp so tx stays within [0, T].
    const tx =
      purchases > 0 ? Math.min(T, Math.max(0, T - (features[o + SINCE_LAST_PURCHASE] as number) / unit)) : 0;
    // NaN (outside the closed forms' domain) stays NaN: the update then leaves both fields out.
    pAlive[i] = bgnbdPAlive(p, x, tx, T);
    expectedPurchases[i] = Math.max(0, bgnbdExpectedPurchases(p, t, x, tx, T));
  }
  return { pAlive, expectedPurchases };
}
