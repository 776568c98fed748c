import { requireFeatureIndex } from '../state/feature-catalog.js';

/**
 * Weights of the engagement sub-scores; they sum to 100, so engagement is the weighted sum of sub-scores
 * in [0, 1], rounded. See docs/scoring.md for each sub-score's formula.
 */
export const ENGAGEMENT_WEIGHTS = {
  recency: 25,
  frequency: 20,
  monetary: 20,
  messaging: 10,
  sessionTime: 10,
  voice: 8,
  advocacy: 7,
} as const;

/**
 * Scales of the saturating transforms `1 - exp(-x / k)` (and the recency half-life): the value of `x`
 * at which a sub-score reaches 63 % of its maximum. Units in the names.
 */
export const ENGAGEMENT_SCALES = {
  /** Recency halves every this many days of silence. */
  recencyHalfLifeDays: 14,
  /** Visits in 30 days: sessions + views / 4. */
  visits30d: 8,
  /** Purchases in 90 days. */
  purchases90d: 2,
  /** Revenue in 90 days, currency units. */
  revenue90d: 200,
  /** Open rate (0..1) of the best channel. */
  openRate: 0.25,
  /** Click rate (0..1) of the best channel. */
  clickRate: 0.05,
  /** Session seconds in 30 days. */
  sessionSeconds30d: 1800,
  /** Referrals + social shares + reviews / 2, lifetime. */
  advocacyActs: 2,
} as const;

// Feature positions resolved once at module load: engagementScore runs per customer per batch, and an
// index lookup by name there would be a Map probe per feature per row.
const at = requireFeatureIndex;
const DAYS_SINCE_ACTIVITY = at('days_since_last_activity');
const SESSIONS_30D = at('sessions_30d');
const VIEWS_30D = at('views_30d');
const PURCHASES_90D = at('purchases_90d');
const REVENUE_90D = at('revenue_90d');
const SESSION_SECONDS_30D = at('session_seconds_30d');
const OPEN_RATES = [at('email_open_rate_30d'), at('sms_open_rate_30d'), at('push_open_rate_30d')] as const;
const CLICK_RATES = [
  at('email_click_rate_30d'),
  at('sms_click_rate_30d'),
  at('push_click_rate_30d'),
] as const;
const LAST_NPS = at('last_nps');
const AVG_CSAT = at('avg_csat');
const AVG_REVIEW = at('avg_review');
const REFERRALS = at('referrals_lifetime');
const SHARES = at('social_shares_lifetime');
const REVIEWS = at('reviews_lifetime');

const LN2 = Math.LN2;
const W = ENGAGEMENT_WEIGHTS;
const K = ENGAGEMENT_SCALES;

/** The value at `offset + i`; 0 past the end (noUncheckedIndexedAccess). */
function v(features: Float32Array, offset: number, i: number): number {
  return features[offset + i] ?? 0;
}

/** 1 - exp(-x / k) for x >= 0: 0 at 0, rising, never above 1; negative or NaN input counts as 0. */
function saturate(x: number, k: number): number {
  return x > 0 ? 1 - Math.exp(-x / k) : 0;
}

/**
 * Engagement of one customer, an integer 0..100: the weighted sum ({@link ENGAGEMENT_WEIGHTS}) of seven
 * sub-scores in [0, 1] built from the classic retention metrics — recency (exponential decay with days
 * since last activity), frequency (visits), monetary (purchases and revenue in 90 days), messaging
 * (best channel's open and click rates), session time, voice of the customer (NPS, CSAT, reviews;
 * neutral 0.5 when never asked) and advocacy (referrals, shares, reviews).
 * Reads the vector at `features[offset .. offset + FEATURE_COUNT)`. Monotone in behaviour: more recent
 * activity, more visits, purchases, revenue, opens, clicks, session time, referrals or shares never
 * lower it (only a worse rating can).
 */
export function engagementScore(features: Float32Array, offset: number): number {
  const days = v(features, offset, DAYS_SINCE_ACTIVITY);
  // Negative days (clock skew) count as today; NaN (no usable recency) counts as long gone, not as fresh.
  const recency = days > 0 ? Math.exp((-days * LN2) / K.recencyHalfLifeDays) : days <= 0 ? 1 : 0;
  const frequency = saturate(
    v(features, offset, SESSIONS_30D) + v(features, offset, VIEWS_30D) / 4,
    K.visits30d,
  );
  const monetary =
    0.5 * saturate(v(features, offset, PURCHASES_90D), K.purchases90d) +
    0.5 * saturate(v(features, offset, REVENUE_90D), K.revenue90d);

  // The best channel speaks for the customer: a customer who reads SMS and ignores e-mail is engaged.
  let messaging = 0;
  for (let c = 0; c < OPEN_RATES.length; c++) {
    const m =
      0.4 * saturate(v(features, offset, OPEN_RATES[c]!), K.openRate) +
      0.6 * saturate(v(features, offset, CLICK_RATES[c]!), K.clickRate);
    if (m > messaging) messaging = m;
  }

  const sessionTime = saturate(v(features, offset, SESSION_SECONDS_30D), K.sessionSeconds30d);

  // Ratings on their own scales mapped to 0..1; sentinels (-1 NPS, 0 CSAT/review) mean "never rated".
  let voiceSum = 0;
  let voiceN = 0;
  const nps = v(features, offset, LAST_NPS);
  if (nps >= 0) {
    voiceSum += Math.min(nps, 10) / 10;
    voiceN++;
  }
  const csat = v(features, offset, AVG_CSAT);
  if (csat >= 1) {
    voiceSum += (Math.min(csat, 5) - 1) / 4;
    voiceN++;
  }
  const review = v(features, offset, AVG_REVIEW);
  if (review >= 1) {
    voiceSum += (Math.min(review, 5) - 1) / 4;
    voiceN++;
  }
  const voice = voiceN > 0 ? voiceSum / voiceN : 0.5;

  const advocacy = saturate(
    v(features, offset, REFERRALS) + v(features, offset, SHARES) + v(features, offset, REVIEWS) / 2,
    K.advocacyActs,
  );

  const score =
    W.recency * recency +
    W.frequency * frequency +
    W.monetary * monetary +
    W.messaging * messaging +
    W.sessionTime * sessionTime +
    W.voice * voice +
    W.advocacy * advocacy;
  // NaN (a corrupt vector) fails both comparisons and lands on 0 rather than leaking into a Uint8Array.
  return score >= 0 ? (score <= 100 ? Math.round(score) : 100) : 0;
}
