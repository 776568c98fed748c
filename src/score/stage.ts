import { requireFeatureIndex } from '../state/feature-catalog.js';
import { STAGES, type Stage } from './types.js';

/** Thresholds of the lifecycle-stage rules (see {@link lifecycleStage}); configuration may override them. */
export interface StageThresholds {
  /** Days without any event after which a customer is churned. @default 90 */
  readonly churnedInactiveDays: number;
  /** Days without any event after which a customer is lapsed. @default 30 */
  readonly lapsedInactiveDays: number;
  /** Days without a purchase after which a past buyer is lapsed. @default 90 */
  readonly lapsedNoPurchaseDays: number;
  /** Churn risk (0..1) at or above which an active customer is at risk. @default 0.6 */
  readonly atRiskChurnRisk: number;
  /** Events in 90 days that make a non-buyer count as "was active" for at_risk. @default 3 */
  readonly atRiskMinEvents90d: number;
  /** Lifetime purchases of an advocate. @default 2 */
  readonly advocateMinPurchases: number;
  /** NPS answer at or above which a customer is a promoter. @default 9 */
  readonly promoterNps: number;
  /** Lifetime purchases of a repeat buyer. @default 2 */
  readonly repeatMinPurchases: number;
  /** Sessions + views in 30 days that make a non-buyer "engaged" (nurture). @default 1 */
  readonly nurtureMinVisits30d: number;
}

/** The default stage thresholds. */
export const STAGE_THRESHOLDS: StageThresholds = Object.freeze({
  churnedInactiveDays: 90,
  lapsedInactiveDays: 30,
  lapsedNoPurchaseDays: 90,
  atRiskChurnRisk: 0.6,
  atRiskMinEvents90d: 3,
  advocateMinPurchases: 2,
  promoterNps: 9,
  repeatMinPurchases: 2,
  nurtureMinVisits30d: 1,
});

// Stage indices and feature positions resolved once at load: the rules run per customer per batch.
const S = Object.fromEntries(STAGES.map((s, i) => [s, i])) as Record<Stage, number>;
const at = requireFeatureIndex;
const CANCELLED = at('cancelled');
const DAYS_SINCE_ACTIVITY = at('days_since_last_activity');
const DAYS_SINCE_PURCHASE = at('days_since_last_purchase');
const PURCHASES = at('purchases_lifetime');
const EVENTS_90D = at('events_90d');
const REFERRALS = at('referrals_lifetime');
const SHARES = at('social_shares_lifetime');
const LAST_NPS = at('last_nps');
const CART_ADDS_30D = at('cart_adds_30d');
const CHECKOUTS_7D = at('checkouts_7d');
const SESSIONS_30D = at('sessions_30d');
const VIEWS_30D = at('views_30d');
const CLICK_RATES = [
  at('email_click_rate_30d'),
  at('sms_click_rate_30d'),
  at('push_click_rate_30d'),
] as const;

/** The value at `offset + i`; 0 past the end. A plain function, not a per-call closure. */
function v(features: Float32Array, offset: number, i: number): number {
  return features[offset + i] ?? 0;
}

/**
 * The lifecycle stage of one customer as an index into {@link STAGES} (the form the scorer stores).
 * Same rules as {@link lifecycleStage}; reads `features[offset .. offset + FEATURE_COUNT)`.
 */
export function lifecycleStageIndex(
  features: Float32Array,
  offset: number,
  churnRisk: number,
  t: StageThresholds = STAGE_THRESHOLDS,
): number {
  const idle = v(features, offset, DAYS_SINCE_ACTIVITY);
  const purchases = v(features, offset, PURCHASES);

  if (v(features, offset, CANCELLED) >= 1 || idle >= t.churnedInactiveDays) return S.churned;
  if (
    idle >= t.lapsedInactiveDays ||
    (purchases >= 1 && v(features, offset, DAYS_SINCE_PURCHASE) >= t.lapsedNoPurchaseDays)
  ) {
    return S.lapsed;
  }
  if (
    churnRisk >= t.atRiskChurnRisk &&
    (purchases >= 1 || v(features, offset, EVENTS_90D) >= t.atRiskMinEvents90d)
  ) {
    return S.at_risk;
  }
  if (purchases >= t.advocateMinPurchases) {
    const promoter = v(features, offset, LAST_NPS) >= t.promoterNps;
    if (promoter || v(features, offset, REFERRALS) >= 1 || v(features, offset, SHARES) >= 1)
      return S.advocate;
  }
  if (purchases >= t.repeatMinPurchases) return S.repeat;
  if (purchases >= 1) return S.first_purchase;
  if (v(features, offset, CART_ADDS_30D) >= 1 || v(features, offset, CHECKOUTS_7D) >= 1) return S.evaluation;
  if (v(features, offset, SESSIONS_30D) + v(features, offset, VIEWS_30D) >= t.nurtureMinVisits30d)
    return S.nurture;
  for (const c of CLICK_RATES) if (v(features, offset, c) > 0) return S.nurture;
  return S.awareness;
}

/**
 * The lifecycle stage of one customer, by the first rule that holds (thresholds from `t`):
 * 1. churned — an explicit cancel (`cancelled`), or no event for `churnedInactiveDays`;
 * 2. lapsed — no event for `lapsedInactiveDays`, or a past buyer without a purchase for `lapsedNoPurchaseDays`;
 * 3. at_risk — `churnRisk >= atRiskChurnRisk` for a customer who was active (a buyer, or
 *    `atRiskMinEvents90d` events in 90 days);
 * 4. advocate — `advocateMinPurchases` purchases and a referral, a social share or a promoter NPS;
 * 5. repeat — `repeatMinPurchases` purchases; 6. first_purchase — one purchase;
 * 7. evaluation — a cart add in 30 days or a checkout in 7 days, no purchase yet;
 * 8. nurture — sessions + views in 30 days, or a message click; 9. awareness — otherwise.
 */
export function lifecycleStage(
  features: Float32Array,
  offset: number,
  churnRisk: number,
  t: StageThresholds = STAGE_THRESHOLDS,
): Stage {
  return STAGES[lifecycleStageIndex(features, offset, churnRisk, t)] ?? 'awareness';
}
