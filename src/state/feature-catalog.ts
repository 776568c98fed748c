/**
 * The feature catalog: every per-customer feature the engine computes, declared once.
 * The same definitions serve online scoring and offline training (replay), so a model never sees a
 * feature computed two ways. Windows (1d, 7d, 30d, 90d) are absolute-time tiles: see docs/windows.md for
 * their exact granularity, caps and tie-breaks.
 */
export interface FeatureDef {
  /** Stable name, used by model manifests and segment rules. */
  readonly name: string;
  /** What it means, with units. */
  readonly description: string;
  /** The retention-metric family it belongs to. */
  readonly group:
    | 'recency'
    | 'frequency'
    | 'monetary'
    | 'intent'
    | 'messaging'
    | 'voice'
    | 'advocacy'
    | 'loyalty'
    | 'trend'
    | 'lifecycle';
}

const f = (name: string, group: FeatureDef['group'], description: string): FeatureDef => ({
  name,
  group,
  description,
});

/** All features in their canonical order (the order of a customer's feature vector). */
export const FEATURES: readonly FeatureDef[] = [
  f(
    'days_since_last_activity',
    'recency',
    'Days (fractional) since the latest event of any type (capped at 365).',
  ),
  f('days_since_last_purchase', 'recency', 'Days since the latest purchase; 365 when never (capped at 365).'),
  f('tenure_days', 'recency', 'Days since the first event seen (capped at 3650).'),
  f('events_1d', 'frequency', 'Events of any type in the 1-day window.'),
  f('events_7d', 'frequency', 'Events of any type in the 7-day window.'),
  f('events_30d', 'frequency', 'Events of any type in the 30-day window.'),
  f('events_90d', 'frequency', 'Events of any type in the 90-day window.'),
  f('sessions_7d', 'frequency', 'session and app_open events in the 7-day window.'),
  f('sessions_30d', 'frequency', 'session and app_open events in the 30-day window.'),
  f('session_seconds_7d', 'frequency', 'Sum of session durations (seconds) in the 7-day window.'),
  f('session_seconds_30d', 'frequency', 'Sum of session durations (seconds) in the 30-day window.'),
  f('views_1d', 'frequency', 'page_view, product_view and search events in the 1-day window.'),
  f('views_7d', 'frequency', 'page_view, product_view and search events in the 7-day window.'),
  f('views_30d', 'frequency', 'page_view, product_view and search events in the 30-day window.'),
  f('cart_adds_7d', 'intent', 'cart_add events in the 7-day window.'),
  f('cart_adds_30d', 'intent', 'cart_add events in the 30-day window.'),
  f('checkouts_7d', 'intent', 'checkout_start events in the 7-day window.'),
  f('purchases_7d', 'frequency', 'Purchases in the 7-day window.'),
  f('purchases_30d', 'frequency', 'Purchases in the 30-day window.'),
  f('purchases_90d', 'frequency', 'Purchases in the 90-day window.'),
  f('purchases_lifetime', 'frequency', 'Purchases ever.'),
  f('revenue_30d', 'monetary', 'Purchase amounts (currency units, cents precision) in the 30-day window.'),
  f('revenue_90d', 'monetary', 'Purchase amounts (currency units, cents precision) in the 90-day window.'),
  f('revenue_lifetime', 'monetary', 'Purchase amounts (currency units, cents precision) ever.'),
  f('avg_order_value', 'monetary', 'revenue_lifetime / purchases_lifetime; 0 when no purchase.'),
  f('refunds_90d', 'monetary', 'refund events (count) in the 90-day window.'),
  f('messages_sent_30d', 'messaging', 'message_sent events (all channels) in the 30-day window.'),
  f(
    'email_open_rate_30d',
    'messaging',
    'E-mail opens / e-mails sent in the 30-day window (0 when none sent, capped at 1).',
  ),
  f(
    'email_click_rate_30d',
    'messaging',
    'E-mail clicks / e-mails sent in the 30-day window (0 when none sent, capped at 1).',
  ),
  f(
    'sms_open_rate_30d',
    'messaging',
    'SMS opens / SMS sent in the 30-day window (0 when none sent, capped at 1).',
  ),
  f(
    'sms_click_rate_30d',
    'messaging',
    'SMS clicks / SMS sent in the 30-day window (0 when none sent, capped at 1).',
  ),
  f(
    'push_open_rate_30d',
    'messaging',
    'Push opens / pushes sent in the 30-day window (0 when none sent, capped at 1).',
  ),
  f(
    'push_click_rate_30d',
    'messaging',
    'Push clicks / pushes sent in the 30-day window (0 when none sent, capped at 1).',
  ),
  f(
    'unsubscribed_email',
    'messaging',
    '1 when the latest e-mail unsubscribe/subscribe event is an unsubscribe, else 0.',
  ),
  f(
    'unsubscribed_sms',
    'messaging',
    '1 when the latest SMS unsubscribe/subscribe event is an unsubscribe, else 0.',
  ),
  f(
    'unsubscribed_push',
    'messaging',
    '1 when the latest push unsubscribe/subscribe event is an unsubscribe, else 0.',
  ),
  f('last_nps', 'voice', 'The latest NPS answer (0..10); -1 when none.'),
  f('avg_csat', 'voice', 'Mean CSAT (1..5) ever; 0 when none.'),
  f('avg_review', 'voice', 'Mean review rating (1..5) ever; 0 when none.'),
  f('support_tickets_30d', 'voice', 'support_ticket events in the 30-day window.'),
  f('support_tickets_90d', 'voice', 'support_ticket events in the 90-day window.'),
  f('referrals_lifetime', 'advocacy', 'referral events ever.'),
  f('reviews_lifetime', 'advocacy', 'review events ever.'),
  f('social_shares_lifetime', 'advocacy', 'social_share events ever.'),
  f(
    'loyalty_points',
    'loyalty',
    'Points outstanding: floor(revenue_lifetime), less loyalty_redeem values (negative when more was redeemed than earned in the history seen).',
  ),
  f(
    'engagement_trend',
    'trend',
    'events_7d against the 30-day weekly rate: (events_7d + 1) / (events_30d * 7 / 30 + 1).',
  ),
  f(
    'preferred_channel',
    'trend',
    'Index in CHANNELS of the channel with most events in the 90-day window (ties: lower index); -1 when none.',
  ),
  f('cancelled', 'lifecycle', '1 when the latest cancel is later than the latest subscribe/signup, else 0.'),
  f('subscribed', 'lifecycle', '1 when a subscribe event is later than any cancel, else 0.'),
  // Appended, not grouped with recency: existing vector positions must not move.
  f(
    'days_since_first_purchase',
    'recency',
    "Days since the earliest purchase (capped at 3650); 0 when never. BG/NBD's customer age T.",
  ),
  // Appended for the silent-customer timers (cart abandonment, app dormancy); see src/segment/timers.ts.
  f(
    'days_since_last_cart_add',
    'intent',
    'Days (fractional) since the latest cart_add; 365 when never (capped at 365).',
  ),
  f(
    'days_since_last_app_open',
    'recency',
    'Days (fractional) since the latest app_open; 365 when never (capped at 365).',
  ),
  // Appended for BG/NBD and Gamma-Gamma: transactions are purchase days, recency is exact (not capped at 365).
  f(
    'purchase_days_lifetime',
    'frequency',
    "UTC days with at least one purchase, ever (same-day purchases merged): BG/NBD's transactions (x + 1).",
  ),
  f(
    'purchase_span_days',
    'recency',
    "Days from the earliest to the latest purchase, uncapped; 0 with fewer than two purchase days: BG/NBD's tx.",
  ),
  f(
    'repeat_order_value',
    'monetary',
    "Mean amount per repeat purchase day (revenue_lifetime less the first purchase day's, over purchase days - 1); 0 without a repeat day: Gamma-Gamma's m_x.",
  ),
];

/** Feature names in vector order. */
export const FEATURE_NAMES: readonly string[] = FEATURES.map((d) => d.name);

/** Number of features in a customer's vector. */
export const FEATURE_COUNT = FEATURES.length;

const byName = new Map(FEATURE_NAMES.map((n, i) => [n, i]));

/** Position of a feature in the vector, or -1 when the engine does not compute it. */
export function featureIndex(name: string): number {
  return byName.get(name) ?? -1;
}

/**
 * Position of a feature the code itself relies on; throws at module load when the name is not in the catalog,
 * so a renamed feature fails fast instead of reading the wrong column.
 */
export function requireFeatureIndex(name: string): number {
  const i = featureIndex(name);
  if (i < 0) throw new Error(`feature "${name}" is not in FEATURES`);
  return i;
}
