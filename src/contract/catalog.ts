/**
 * The event catalog: the touchpoints of a customer journey that churnflow understands natively.
 * Custom types matching {@link CUSTOM_TYPE_PATTERN} are accepted too; they count as activity only.
 */
export const EVENT_TYPES = [
  // visits
  'page_view',
  'product_view',
  'search',
  'app_open',
  'session', // value: seconds
  // intent
  'cart_add',
  'checkout_start',
  // commerce
  'purchase', // value: amount
  'refund', // value: amount
  // messages (channel says which)
  'message_sent',
  'message_open',
  'message_click',
  'unsubscribe',
  // lifecycle
  'signup',
  'subscribe',
  'cancel', // explicit churn
  // voice of the customer
  'nps', // value: 0..10
  'csat', // value: 1..5
  'review', // value: 1..5
  'support_ticket',
  'chat',
  // advocacy
  'referral',
  'social_share',
  'loyalty_redeem', // value: redeemed points
] as const;

/** One of the catalog's event types. */
export type CatalogEventType = (typeof EVENT_TYPES)[number];

/** The channels a touchpoint can come through. */
export const CHANNELS = [
  'email',
  'sms',
  'push',
  'in_app',
  'web',
  'app',
  'chat',
  'social',
  'store',
  'phone',
] as const;

/** One of {@link CHANNELS}. */
export type Channel = (typeof CHANNELS)[number];

/** The messaging channels whose open and click rates are features. */
export const MESSAGE_CHANNELS = ['email', 'sms', 'push'] as const;

/** One of {@link MESSAGE_CHANNELS}. */
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];

/** Custom event types: lower-case letters, digits and underscores, 1 to 64 characters. */
export const CUSTOM_TYPE_PATTERN = '^[a-z0-9_]{1,64}$';

/** Inclusive value ranges of the rating types; a value outside is rejected. */
export const RATING_RANGES: Readonly<Partial<Record<CatalogEventType, readonly [number, number]>>> = {
  nps: [0, 10],
  csat: [1, 5],
  review: [1, 5],
};

/** Types whose `value` is required (the value carries the meaning of the event). */
export const VALUE_REQUIRED_TYPES: ReadonlySet<string> = new Set<CatalogEventType>([
  'purchase',
  'refund',
  'nps',
  'csat',
  'review',
  'loyalty_redeem',
]);

/** Types whose `value` must not be negative (amounts, durations, points). */
export const NON_NEGATIVE_VALUE_TYPES: ReadonlySet<string> = new Set<CatalogEventType>([
  'purchase',
  'refund',
  'session',
  'loyalty_redeem',
]);

/**
 * The largest `value` accepted per family of types; beyond it an event is refused as `out_of_range`. The bounds
 * keep sums, cents and points finite and exact downstream (a purchase of 1e39 would make features Infinity).
 * The non-negative families ({@link NON_NEGATIVE_VALUE_TYPES}) accept `0..bound`; `other` bounds `|value|`.
 * Ratings keep their narrower {@link RATING_RANGES}.
 */
export const MAX_EVENT_VALUE = Object.freeze({
  /** `purchase`, `refund`: currency units. */
  amount: 1e9,
  /** `loyalty_redeem`: points. */
  points: 1e9,
  /** `session`: seconds (one week). */
  sessionSeconds: 86_400 * 7,
  /** Every other type, catalog or custom: the bound on `|value|`. */
  other: 1e9,
});

/** A family of types sharing one {@link MAX_EVENT_VALUE} bound. */
export type ValueFamily = keyof typeof MAX_EVENT_VALUE;

// A Map, not an object: custom types such as 'constructor' must not read Object.prototype members.
const valueFamilies = new Map<string, ValueFamily>([
  ['purchase', 'amount'],
  ['refund', 'amount'],
  ['loyalty_redeem', 'points'],
  ['session', 'sessionSeconds'],
] satisfies [CatalogEventType, ValueFamily][]);

/** The value family of a type: `other` for every type without a bound of its own, custom types included. */
export function valueFamily(type: string): ValueFamily {
  return valueFamilies.get(type) ?? 'other';
}

/** The largest `value` (for `other` types, `|value|`) a type accepts: `MAX_EVENT_VALUE[valueFamily(type)]`. */
export function maxEventValue(type: string): number {
  return MAX_EVENT_VALUE[valueFamily(type)];
}

const typeIndex = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));

/** The catalog index of a type, or -1 for a custom type. Used by the state store's dispatch table. */
export function catalogIndex(type: string): number {
  return typeIndex.get(type) ?? -1;
}

const channelIndex = new Map<string, number>(CHANNELS.map((c, i) => [c, i]));

/** The index of a channel in {@link CHANNELS}, or -1 when absent or unknown. */
export function channelIndexOf(channel: string | undefined): number {
  return channel === undefined ? -1 : (channelIndex.get(channel) ?? -1);
}
