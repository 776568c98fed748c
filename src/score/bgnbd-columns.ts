import { requireFeatureIndex, FEATURE_COUNT } from '../state/feature-catalog.js';
import { bgnbdExpectedPurchases, bgnbdPAlive } from './bgnbd.js';
import { predictedClv } from './clv.js';
import { ggExpectedSpend } from './gamma-gamma.js';
import type { ModelManifest } from './manifest.js';
import type { ChurnModel } from './types.js';

const PURCHASE_DAYS = requireFeatureIndex('purchase_days_lifetime');
const PURCHASE_SPAN = requireFeatureIndex('purchase_span_days');
const SINCE_FIRST_PURCHASE = requireFeatureIndex('days_since_first_purchase');
const REPEAT_ORDER_VALUE = requireFeatureIndex('repeat_order_value');

/** Days per discounting period of the predicted CLV (monthly, as lifetimes' customer_lifetime_value). */
export const CLV_PERIOD_DAYS = 30;

/** Horizon and discounting of the baseline columns (config `score.bgnbdHorizonDays`, `score.clvAnnualDiscountRate`). */
export interface BaselineHorizon {
  readonly horizonDays: number;
  /** Annual discount rate of the predicted CLV; 0 = none. */
  readonly annualDiscountRate: number;
}

/** The baseline columns of a scored batch; each absent when the model carries no parameters for it. */
export interface BaselineColumns {
  pAlive?: Float32Array;
  expectedPurchases?: Float32Array;
  predictedClv?: Float32Array;
}

/**
 * BG/NBD P(alive), expected purchases and (with Gamma-Gamma parameters) predicted CLV over `horizonDays` for
 * each row of a feature matrix, with the parameters the model's manifest carries (fitted on the same history by
 * `churnflow train`); nothing when it has none. Per customer, in the manifest's time unit: x = purchase days − 1
 * (same-day purchases are one transaction), tx = purchase_span_days (exact, uncapped), T = time since the first
 * purchase; m_x = repeat_order_value. A customer who never bought gets NaN in every column (no figures: the
 * models start at the first purchase). CLV is discounted monthly at the horizon's annual rate (0 = none).
 */
export function bgnbdColumns(
  model: ChurnModel,
  features: Float32Array,
  rows: number,
  horizon: BaselineHorizon,
): BaselineColumns {
  const { horizonDays, annualDiscountRate } = horizon;
  const manifest = (model as { manifest?: ModelManifest }).manifest;
  const p = manifest?.bgnbd;
  if (p === undefined) return {};
  const gg = manifest?.gammaGamma;
  const pAlive = new Float32Array(rows);
  const expectedPurchases = new Float32Array(rows);
  const clv = gg === undefined ? undefined : new Float32Array(rows);
  const unit = p.timeUnitDays;
  const t = horizonDays / unit;
  const discount =
    annualDiscountRate > 0
      ? {
          ratePerPeriod: Math.pow(1 + annualDiscountRate, CLV_PERIOD_DAYS / 365) - 1,
          periodLength: CLV_PERIOD_DAYS / unit,
        }
      : undefined;
  for (let i = 0; i < rows; i++) {
    const o = i * FEATURE_COUNT;
    const days = features[o + PURCHASE_DAYS] as number;
    if (!(days >= 1)) {
      // BG/NBD and Gamma-Gamma describe customers from their first purchase on: none yet, no figures (NaN
      // leaves the fields out of the update). Scoring them as just acquired would rank browsers as the most
      // valuable customers.
      pAlive[i] = expectedPurchases[i] = Number.NaN;
      if (clv !== undefined) clv[i] = Number.NaN;
      continue;
    }
    const x = days - 1;
    const T = (features[o + SINCE_FIRST_PURCHASE] as number) / unit;
    // Clamped: float32 features can put the span a hair past the age.
    const tx = days > 1 ? Math.min(T, (features[o + PURCHASE_SPAN] as number) / unit) : 0;
    // NaN (outside the closed forms' domain) stays NaN: the update then leaves the field out.
    pAlive[i] = bgnbdPAlive(p, x, tx, T);
    // max(0, NaN) stays NaN: only round-off below 0 is clipped.
    const expected = bgnbdExpectedPurchases(p, t, x, tx, T);
    expectedPurchases[i] = Math.max(0, expected);
    if (clv !== undefined) {
      const mx = features[o + REPEAT_ORDER_VALUE] as number;
      // Undiscounted CLV is expected purchases × spend: reuse the series just summed rather than sum it again.
      const value =
        discount === undefined
          ? expected * ggExpectedSpend(gg!, x, mx)
          : predictedClv(p, gg!, t, x, tx, T, mx, discount);
      clv[i] = Math.max(0, value);
    }
  }
  return { pAlive, expectedPurchases, ...(clv === undefined ? {} : { predictedClv: clv }) };
}
