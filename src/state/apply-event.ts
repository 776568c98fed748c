import {
  catalogIndex,
  channelIndexOf,
  CHANNELS,
  EVENT_TYPES,
  MESSAGE_CHANNELS,
} from '../contract/catalog.js';
import type { CatalogEventType } from '../contract/catalog.js';
import type { CustomerEvent } from '../contract/event.js';
import type { CustomerColumns } from './customer-columns.js';
import { DAY_MS } from './windows.js';
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

const t = (type: CatalogEventType): number => EVENT_TYPES.indexOf(type);
// Catalog indexes resolved once, so dispatch is a switch over small integers rather than string compares.
const PAGE_VIEW = t('page_view');
const PRODUCT_VIEW = t('product_view');
const SEARCH = t('search');
const APP_OPEN = t('app_open');
const SESSION = t('session');
const CART_ADD = t('cart_add');
const CHECKOUT_START = t('checkout_start');
const PURCHASE = t('purchase');
const REFUND = t('refund');
const MESSAGE_SENT = t('message_sent');
const MESSAGE_OPEN = t('message_open');
const MESSAGE_CLICK = t('message_click');
const UNSUBSCRIBE = t('unsubscribe');
const SIGNUP = t('signup');
const SUBSCRIBE = t('subscribe');
const CANCEL = t('cancel');
const NPS = t('nps');
const CSAT = t('csat');
const REVIEW = t('review');
const SUPPORT_TICKET = t('support_ticket');
const REFERRAL = t('referral');
const SOCIAL_SHARE = t('social_share');
const LOYALTY_REDEEM = t('loyalty_redeem');

/** CHANNELS index -> MESSAGE_CHANNELS index, -1 for channels that carry no messages. */
const MESSAGE_CHANNEL_OF = Int8Array.from(CHANNELS, (c) =>
  (MESSAGE_CHANNELS as readonly string[]).indexOf(c),
);

/**
 * Adds one event to a customer's columns: the tile of ITS time at every level whose ring still covers it
 * (a level whose ring is past it is left alone, as in-order application would have evicted it), and the
 * lifetime scalars always. `ts` is the event time already truncated to whole milliseconds.
 * Every update is a sum, a saturating sum, a min or a max (with a fixed tie-break), so the result does not
 * depend on arrival order. Amounts are made non-negative integers (cents, whole seconds) before they are
 * added, which keeps tile sums exact.
 */
export function applyEvent(cols: CustomerColumns, slot: number, e: CustomerEvent, ts: number): void {
  const { day, fiveDay, fifteenDay, f64, u32 } = cols;
  const type = catalogIndex(e.type);
  const channel = channelIndexOf(e.channel);
  const messageChannel = channel < 0 ? -1 : MESSAGE_CHANNEL_OF[channel]!;
  const value = e.value ?? 0;
  const f = slot * F64_STRIDE;
  const u = slot * U32_STRIDE;

  if (ts < f64[f + F64.firstMs]!) f64[f + F64.firstMs] = ts;
  if (ts > f64[f + F64.lastMs]!) f64[f + F64.lastMs] = ts;
  // One row per level, found once; -1 (older than that ring) makes every add below a no-op.
  const d = day.rowFor(slot, ts);
  const b = fiveDay.rowFor(slot, ts);
  const c = fifteenDay.rowFor(slot, ts);
  day.bumpCount(d, DAY_COUNTS.events);
  fiveDay.bumpCount(b, FIVE_DAY_COUNTS.events);
  fifteenDay.bumpCount(c, FIFTEEN_DAY_COUNTS.events);
  if (channel >= 0) fifteenDay.bumpCount(c, FIFTEEN_DAY_COUNTS.channels + channel);

  switch (type) {
    case PAGE_VIEW:
    case PRODUCT_VIEW:
    case SEARCH:
      day.bumpCount(d, DAY_COUNTS.views);
      fiveDay.bumpCount(b, FIVE_DAY_COUNTS.views);
      break;
    case SESSION: {
      const seconds = value > 0 ? Math.round(value) : 0;
      day.addCount(d, DAY_COUNTS.sessionSeconds, seconds);
      fiveDay.addAmount(b, FIVE_DAY_AMOUNTS.sessionSeconds, seconds);
      day.bumpSmall(d, DAY_SMALL.sessions);
      fiveDay.bumpCount(b, FIVE_DAY_COUNTS.sessions);
      break;
    }
    case APP_OPEN:
      day.bumpSmall(d, DAY_SMALL.sessions);
      fiveDay.bumpCount(b, FIVE_DAY_COUNTS.sessions);
      maxInto(f64, f + F64.lastAppOpenMs, ts);
      break;
    case CART_ADD:
      day.bumpSmall(d, DAY_SMALL.cartAdds);
      fiveDay.bumpSmall(b, FIVE_DAY_SMALL.cartAdds);
      maxInto(f64, f + F64.lastCartAddMs, ts);
      break;
    case CHECKOUT_START:
      day.bumpSmall(d, DAY_SMALL.checkouts);
      break;
    case PURCHASE: {
      const cents = hundredths(value);
      const latest = f64[f + F64.lastPurchaseMs]!;
      const latestDay = latest < 0 ? -Infinity : Math.floor(latest / DAY_MS);
      if (cols.purchaseDays.mark(slot, Math.floor(ts / DAY_MS), latestDay)) u32[u + U32.purchaseDays]!++;
      addFirstDayCents(f64, f, ts, cents);
      day.bumpSmall(d, DAY_SMALL.purchases);
      fiveDay.bumpSmall(b, FIVE_DAY_SMALL.purchases);
      fiveDay.addAmount(b, FIVE_DAY_AMOUNTS.revenueCents, cents);
      fifteenDay.bumpSmall(c, FIFTEEN_DAY_SMALL.purchases);
      fifteenDay.addAmount(c, FIFTEEN_DAY_AMOUNTS.revenueCents, cents);
      u32[u + U32.purchases]!++;
      // Integer cents in a Float64 stay exact up to 2^53 cents, so lifetime revenue is order-independent.
      f64[f + F64.revenueCents] = f64[f + F64.revenueCents]! + cents;
      if (ts > f64[f + F64.lastPurchaseMs]!) f64[f + F64.lastPurchaseMs] = ts;
      // A min, like firstMs: the earliest purchase whatever the arrival order.
      if (ts < f64[f + F64.firstPurchaseMs]!) f64[f + F64.firstPurchaseMs] = ts;
      break;
    }
    case REFUND:
      fifteenDay.bumpSmall(c, FIFTEEN_DAY_SMALL.refunds);
      break;
    case MESSAGE_SENT:
      fiveDay.bumpSmall(b, FIVE_DAY_SMALL.messagesSent);
      if (messageChannel >= 0) fiveDay.bumpSmall(b, FIVE_DAY_SMALL.sent + messageChannel);
      break;
    case MESSAGE_OPEN:
      if (messageChannel >= 0) fiveDay.bumpSmall(b, FIVE_DAY_SMALL.opens + messageChannel);
      break;
    case MESSAGE_CLICK:
      if (messageChannel >= 0) fiveDay.bumpSmall(b, FIVE_DAY_SMALL.clicks + messageChannel);
      break;
    case UNSUBSCRIBE:
      // No channel = a global opt-out: every messaging channel (consent errs on the side of "stop").
      if (e.channel === undefined) {
        for (let m = 0; m < MESSAGE_CHANNELS.length; m++) maxInto(f64, f + F64.optOut + m, ts * 2 + 1);
      } else if (messageChannel >= 0) maxInto(f64, f + F64.optOut + messageChannel, ts * 2 + 1);
      break;
    case SUBSCRIBE:
      maxInto(f64, f + F64.lastSubscribeMs, ts);
      if (messageChannel >= 0) maxInto(f64, f + F64.optOut + messageChannel, ts * 2);
      break;
    case SIGNUP:
      maxInto(f64, f + F64.lastSignupMs, ts);
      break;
    case CANCEL:
      maxInto(f64, f + F64.lastCancelMs, ts);
      break;
    case NPS: {
      // Latest answer wins; at the same millisecond the lower score wins, so the result is order-free.
      const lastMs = f64[f + F64.lastNpsMs]!;
      if (ts > lastMs || (ts === lastMs && value < f64[f + F64.lastNps]!)) {
        f64[f + F64.lastNpsMs] = ts;
        f64[f + F64.lastNps] = value;
      }
      break;
    }
    // Ratings are summed in hundredths, as integers, so the mean is exact whatever the order.
    case CSAT:
      u32[u + U32.csatHundredths] = u32[u + U32.csatHundredths]! + hundredths(value);
      u32[u + U32.csatCount]!++;
      break;
    case REVIEW:
      u32[u + U32.reviewHundredths] = u32[u + U32.reviewHundredths]! + hundredths(value);
      u32[u + U32.reviews]!++;
      break;
    case SUPPORT_TICKET:
      fiveDay.bumpSmall(b, FIVE_DAY_SMALL.tickets);
      fifteenDay.bumpSmall(c, FIFTEEN_DAY_SMALL.tickets);
      break;
    case REFERRAL:
      u32[u + U32.referrals]!++;
      break;
    case SOCIAL_SHARE:
      u32[u + U32.socialShares]!++;
      break;
    case LOYALTY_REDEEM:
      f64[f + F64.redeemedHundredths] = f64[f + F64.redeemedHundredths]! + hundredths(value);
      break;
    default:
    // chat and custom types count as activity only (done above).
  }
}

/**
 * Keeps the amounts of the earliest purchase day (before `firstPurchaseMs` takes `ts` into account): an
 * earlier day replaces them, the same day adds to them, a later day leaves them. Order-free.
 */
function addFirstDayCents(f64: Float64Array, f: number, ts: number, cents: number): void {
  const first = f64[f + F64.firstPurchaseMs]!;
  const day = Math.floor(ts / DAY_MS);
  const firstDay = first === Infinity ? Infinity : Math.floor(first / DAY_MS);
  if (day < firstDay) f64[f + F64.firstPurchaseDayCents] = cents;
  else if (day === firstDay) f64[f + F64.firstPurchaseDayCents] = f64[f + F64.firstPurchaseDayCents]! + cents;
}

/** A non-negative amount in hundredths (cents, hundredths of a point or rating), as an integer. */
function hundredths(value: number): number {
  return value > 0 ? Math.round(value * 100) : 0;
}

function maxInto(a: Float64Array, i: number, v: number): void {
  if (v > a[i]!) a[i] = v;
}
