/**
 * The BG/NBD baseline (Fader, Hardie & Lee 2005) on a training set: each row's frequency, recency and age read
 * from the engine's own features at its cut-off, the parameters fitted on the training rows, and the baseline
 * churn score 1 - P(alive) of any rows. Time unit: weeks (alpha is per week).
 */
import { bgnbdPAlive, type BgNbdParams } from '../score/bgnbd.js';
import { FEATURE_COUNT, featureIndex } from '../state/feature-catalog.js';
import { fitBgNbd } from './bgnbd-fit.js';

/** BG/NBD's time unit in days: x, tx and T are in weeks. */
export const BGNBD_TIME_UNIT_DAYS = 7;

/** Per row: repeat purchases x (>= 0), time of the last purchase tx and age T, weeks since the first purchase. */
export interface RfmColumns {
  readonly x: Float64Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
}

/**
 * The BG/NBD inputs of the given rows of a FEATURES-ordered matrix: x = purchases_lifetime - 1,
 * T = days_since_first_purchase / 7, tx = T - days_since_last_purchase / 7. A customer with no purchase has
 * x = tx = T = 0 (then P(alive) = 1 by convention).
 */
export function rfmColumns(features: Float32Array, rows: ArrayLike<number>): RfmColumns {
  const purchases = featureIndex('purchases_lifetime');
  const first = featureIndex('days_since_first_purchase');
  const last = featureIndex('days_since_last_purchase');
  if (purchases < 0 || first < 0 || last < 0) {
    throw new RangeError(
      'BG/NBD needs purchases_lifetime, days_since_first_purchase, days_since_last_purchase',
    );
  }
  const n = rows.length;
  const out = { x: new Float64Array(n), tx: new Float64Array(n), T: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const base = rows[i]! * FEATURE_COUNT;
    const count = features[base + purchases]!;
    if (!(count >= 1)) continue; // never bought: zeros
    const T = features[base + first]! / BGNBD_TIME_UNIT_DAYS;
    out.x[i] = count - 1;
    out.T[i] = T;
    // Clamped: float32 features can put the last purchase a hair before the first one.
    out.tx[i] = Math.min(T, Math.max(0, T - features[base + last]! / BGNBD_TIME_UNIT_DAYS));
  }
  return out;
}

/** Fitted BG/NBD parameters and how the fit went. */
export interface BgNbdBaseline {
  readonly params: BgNbdParams;
  readonly logLikelihood: number;
  readonly iterations: number;
}

/** Fits BG/NBD on the given rows (the training split's). */
export function fitBgNbdBaseline(features: Float32Array, rows: ArrayLike<number>): BgNbdBaseline {
  const fit = fitBgNbd(rfmColumns(features, rows));
  return {
    params: { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b },
    logLikelihood: fit.logLikelihood,
    iterations: fit.iterations,
  };
}

/** The baseline churn score of the given rows: 1 - P(alive) at their cut-off. */
export function bgnbdChurnScores(
  params: BgNbdParams,
  features: Float32Array,
  rows: ArrayLike<number>,
): Float64Array {
  const { x, tx, T } = rfmColumns(features, rows);
  const out = new Float64Array(rows.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 - bgnbdPAlive(params, x[i]!, tx[i]!, T[i]!);
  return out;
}
