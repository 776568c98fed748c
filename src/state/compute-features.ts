import { CHANNELS, MESSAGE_CHANNELS } from '../contract/catalog.js';
import type { CustomerColumns } from './customer-columns.js';
import {
  DAY_COUNTS,
  DAY_SMALL,
  F64,
  F64_STRIDE,
  FIFTEEN_DAY_AMOUNTS,
  FIFTEEN_DAY_COUNTS,
  FIFTEEN_DAY_SMALL,
  FIVE_DAY_AMOUNTS,
  FIVE_DAY_COUNTS,
  FIVE_DAY_SMALL,
  U32,
  U32_STRIDE,
} from './customer-columns.js';
import { requireFeatureIndex } from './feature-catalog.js';
import { sumWindow, WindowSums } from './window-sums.js';
import { DAY_MS, WINDOW_1D, WINDOW_30D, WINDOW_7D, WINDOW_90D } from './windows.js';

/** Cap of the activity and purchase recency features, in days. */
export const RECENCY_CAP_DAYS = 365;
/** Cap of tenure_days, in days. */
export const TENURE_CAP_DAYS = 3650;

// Vector positions resolved once by name, so the catalog's order can change without touching this file.
// A name missing from the catalog is a programming error, caught when the module loads.
const at = requireFeatureIndex;
const RATE_NAMES = MESSAGE_CHANNELS.map(
  (ch) => [at(`${ch}_open_rate_30d`), at(`${ch}_click_rate_30d`)] as const,
);
const UNSUB_NAMES = MESSAGE_CHANNELS.map((ch) => at(`unsubscribed_${ch}`));
const X = {
  sinceActivity: at('days_since_last_activity'),
  sincePurchase: at('days_since_last_purchase'),
  tenure: at('tenure_days'),
  sinceFirstPurchase: at('days_since_first_purchase'),
  sinceCartAdd: at('days_since_last_cart_add'),
  sinceAppOpen: at('days_since_last_app_open'),
  events1: at('events_1d'),
  events7: at('events_7d'),
  events30: at('events_30d'),
  events90: at('events_90d'),
  sessions7: at('sessions_7d'),
  sessions30: at('sessions_30d'),
  sessionSeconds7: at('session_seconds_7d'),
  sessionSeconds30: at('session_seconds_30d'),
  views1: at('views_1d'),
  views7: at('views_7d'),
  views30: at('views_30d'),
  cartAdds7: at('cart_adds_7d'),
  cartAdds30: at('cart_adds_30d'),
  checkouts7: at('checkouts_7d'),
  purchases7: at('purchases_7d'),
  purchases30: at('purchases_30d'),
  purchases90: at('purchases_90d'),
  purchasesLifetime: at('purchases_lifetime'),
  revenue30: at('revenue_30d'),
  revenue90: at('revenue_90d'),
  revenueLifetime: at('revenue_lifetime'),
  avgOrderValue: at('avg_order_value'),
  refunds90: at('refunds_90d'),
  messagesSent30: at('messages_sent_30d'),
  lastNps: at('last_nps'),
  avgCsat: at('avg_csat'),
  avgReview: at('avg_review'),
  tickets30: at('support_tickets_30d'),
  tickets90: at('support_tickets_90d'),
  referrals: at('referrals_lifetime'),
  reviews: at('reviews_lifetime'),
  shares: at('social_shares_lifetime'),
  loyaltyPoints: at('loyalty_points'),
  trend: at('engagement_trend'),
  preferredChannel: at('preferred_channel'),
  purchaseDays: at('purchase_days_lifetime'),
  purchaseSpan: at('purchase_span_days'),
  repeatOrderValue: at('repeat_order_value'),
  cancelled: at('cancelled'),
  subscribed: at('subscribed'),
} as const;

/**
 * Writes one customer's feature vector (FEATURES order) at event time `nowMs` into `out[offset..]`.
 * Pure: reads the columns, never changes them, so scoring at any `nowMs` >= the customer's latest event is
 * repeatable. Windows are those of windows.ts; tiles newer than `nowMs` are left out.
 */
export function computeFeatures(
  cols: CustomerColumns,
  slot: number,
  nowMs: number,
  out: Float32Array,
  offset: number,
): void {
  const { day, fiveDay, fifteenDay, f64, u32 } = cols;
  const f = slot * F64_STRIDE;
  const u = slot * U32_STRIDE;
  const o = offset;
  const d1 = WINDOW_1D.tiles;
  const d7 = WINDOW_7D.tiles;
  const d30 = WINDOW_30D.tiles;
  const d90 = WINDOW_90D.tiles;

  out[o + X.sinceActivity] = sinceDays(nowMs, f64[f + F64.lastMs]!, RECENCY_CAP_DAYS);
  out[o + X.sincePurchase] = sinceDays(nowMs, f64[f + F64.lastPurchaseMs]!, RECENCY_CAP_DAYS);
  const firstMs = f64[f + F64.firstMs]!;
  out[o + X.tenure] = firstMs === Infinity ? 0 : sinceDays(nowMs, firstMs, TENURE_CAP_DAYS);
  const firstPurchaseMs = f64[f + F64.firstPurchaseMs]!;
  out[o + X.sinceFirstPurchase] =
    firstPurchaseMs === Infinity ? 0 : sinceDays(nowMs, firstPurchaseMs, TENURE_CAP_DAYS);
  out[o + X.sinceCartAdd] = sinceDays(nowMs, f64[f + F64.lastCartAddMs]!, RECENCY_CAP_DAYS);
  out[o + X.sinceAppOpen] = sinceDays(nowMs, f64[f + F64.lastAppOpenMs]!, RECENCY_CAP_DAYS);

  const { w7, w30, w90 } = windowScratch(cols);
  sumWindow(day, slot, nowMs, d7, w7);
  sumWindow(fiveDay, slot, nowMs, d30, w30);
  sumWindow(fifteenDay, slot, nowMs, d90, w90);
  const events7 = w7.counts[DAY_COUNTS.events]!;
  const events30 = w30.counts[FIVE_DAY_COUNTS.events]!;
  out[o + X.events1] = day.sumCount(slot, DAY_COUNTS.events, nowMs, d1);
  out[o + X.events7] = events7;
  out[o + X.events30] = events30;
  out[o + X.events90] = w90.counts[FIFTEEN_DAY_COUNTS.events]!;
  out[o + X.sessions7] = w7.small[DAY_SMALL.sessions]!;
  out[o + X.sessions30] = w30.counts[FIVE_DAY_COUNTS.sessions]!;
  out[o + X.sessionSeconds7] = w7.counts[DAY_COUNTS.sessionSeconds]!;
  out[o + X.sessionSeconds30] = w30.amounts[FIVE_DAY_AMOUNTS.sessionSeconds]!;
  out[o + X.views1] = day.sumCount(slot, DAY_COUNTS.views, nowMs, d1);
  out[o + X.views7] = w7.counts[DAY_COUNTS.views]!;
  out[o + X.views30] = w30.counts[FIVE_DAY_COUNTS.views]!;
  out[o + X.cartAdds7] = w7.small[DAY_SMALL.cartAdds]!;
  out[o + X.cartAdds30] = w30.small[FIVE_DAY_SMALL.cartAdds]!;
  out[o + X.checkouts7] = w7.small[DAY_SMALL.checkouts]!;
  out[o + X.purchases7] = w7.small[DAY_SMALL.purchases]!;
  out[o + X.purchases30] = w30.small[FIVE_DAY_SMALL.purchases]!;
  out[o + X.purchases90] = w90.small[FIFTEEN_DAY_SMALL.purchases]!;

  const purchases = u32[u + U32.purchases]!;
  const revenueCents = f64[f + F64.revenueCents]!;
  out[o + X.purchasesLifetime] = purchases;
  out[o + X.revenue30] = w30.amounts[FIVE_DAY_AMOUNTS.revenueCents]! / 100;
  out[o + X.revenue90] = w90.amounts[FIFTEEN_DAY_AMOUNTS.revenueCents]! / 100;
  out[o + X.revenueLifetime] = revenueCents / 100;
  out[o + X.avgOrderValue] = purchases > 0 ? revenueCents / 100 / purchases : 0;
  const purchaseDays = u32[u + U32.purchaseDays]!;
  out[o + X.purchaseDays] = purchaseDays;
  out[o + X.purchaseSpan] =
    purchaseDays > 1 ? Math.max(0, (f64[f + F64.lastPurchaseMs]! - firstPurchaseMs) / DAY_MS) : 0;
  out[o + X.repeatOrderValue] =
    purchaseDays > 1 ? (revenueCents - f64[f + F64.firstPurchaseDayCents]!) / 100 / (purchaseDays - 1) : 0;
  out[o + X.refunds90] = w90.small[FIFTEEN_DAY_SMALL.refunds]!;

  out[o + X.messagesSent30] = w30.small[FIVE_DAY_SMALL.messagesSent]!;
  for (let m = 0; m < MESSAGE_CHANNELS.length; m++) {
    const [openAt, clickAt] = RATE_NAMES[m]!;
    const sent = w30.small[FIVE_DAY_SMALL.sent + m]!;
    const opens = w30.small[FIVE_DAY_SMALL.opens + m]!;
    const clicks = w30.small[FIVE_DAY_SMALL.clicks + m]!;
    out[o + openAt] = rate(opens, sent);
    out[o + clickAt] = rate(clicks, sent);
    // Odd key = the latest subscribe/unsubscribe of the channel is an unsubscribe (see F64.optOut).
    out[o + UNSUB_NAMES[m]!] = f64[f + F64.optOut + m]! % 2 === 1 ? 1 : 0;
  }

  out[o + X.lastNps] = f64[f + F64.lastNps]!;
  const csatCount = u32[u + U32.csatCount]!;
  const reviews = u32[u + U32.reviews]!;
  out[o + X.avgCsat] = csatCount > 0 ? u32[u + U32.csatHundredths]! / 100 / csatCount : 0;
  out[o + X.avgReview] = reviews > 0 ? u32[u + U32.reviewHundredths]! / 100 / reviews : 0;
  out[o + X.tickets30] = w30.small[FIVE_DAY_SMALL.tickets]!;
  out[o + X.tickets90] = w90.small[FIFTEEN_DAY_SMALL.tickets]!;
  out[o + X.referrals] = u32[u + U32.referrals]!;
  out[o + X.reviews] = reviews;
  out[o + X.shares] = u32[u + U32.socialShares]!;
  out[o + X.loyaltyPoints] = Math.floor(revenueCents / 100) - f64[f + F64.redeemedHundredths]! / 100;
  out[o + X.trend] = (events7 + 1) / ((events30 * 7) / 30 + 1);

  let best = -1;
  let bestCount = 0;
  for (let ch = 0; ch < CHANNELS.length; ch++) {
    const n = w90.counts[FIFTEEN_DAY_COUNTS.channels + ch]!;
    // Strictly greater: ties go to the lower CHANNELS index, deterministically.
    if (n > bestCount) {
      best = ch;
      bestCount = n;
    }
  }
  out[o + X.preferredChannel] = best;

  const lastCancel = f64[f + F64.lastCancelMs]!;
  const lastSubscribe = f64[f + F64.lastSubscribeMs]!;
  const lastStart = Math.max(lastSubscribe, f64[f + F64.lastSignupMs]!);
  out[o + X.cancelled] = lastCancel >= 0 && lastCancel > lastStart ? 1 : 0;
  out[o + X.subscribed] = lastSubscribe >= 0 && lastSubscribe > lastCancel ? 1 : 0;
}

// Window sums of the row being computed, reused (computeFeatures runs to completion, never re-entered).
let scratch: { w7: WindowSums; w30: WindowSums; w90: WindowSums } | undefined;
function windowScratch(cols: CustomerColumns): { w7: WindowSums; w30: WindowSums; w90: WindowSums } {
  scratch ??= {
    w7: new WindowSums(cols.day.widths),
    w30: new WindowSums(cols.fiveDay.widths),
    w90: new WindowSums(cols.fifteenDay.widths),
  };
  return scratch;
}

/** Days from `thenMs` to `nowMs`, in [0, cap]; `cap` when `thenMs` is "none" (-1). */
function sinceDays(nowMs: number, thenMs: number, cap: number): number {
  if (thenMs < 0) return cap;
  const days = (nowMs - thenMs) / DAY_MS;
  return days <= 0 ? 0 : days >= cap ? cap : days;
}

function rate(n: number, of: number): number {
  if (of <= 0) return 0;
  return n >= of ? 1 : n / of;
}
