import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/contract/catalog.js';
import { FEATURE_COUNT, FEATURE_NAMES, createCustomerStore } from '../../src/state/index.js';
import { at, decoded, feature, vector } from './events.js';

// "Now" for every expectation below. Windows at NOW (see docs/windows.md):
//   1d >= 2024-06-14T00:00Z, 7d >= 2024-06-08T00:00Z,
//   30d >= 2024-05-12T00:00Z (epoch day 19889 sits in 5-day tile 3977; 3977 - 6 = 3971 starts on day 19855),
//   90d >= 2024-03-03T00:00Z (15-day tile 1325; 1325 - 6 = 1319 starts on day 19785).
const NOW = Date.parse('2024-06-15T12:00:00Z');
const OLD = '2024-01-05T00:00:00Z'; // before every window: lifetime only

// One scripted customer history. The comment after each event lists the windows it falls in.
const alice = [
  at('alice', 'signup', '2023-01-10T00:00:00Z', { channel: 'web' }), // -
  at('alice', 'purchase', '2024-01-20T10:00:00Z', { value: 100, channel: 'web' }), // -
  at('alice', 'purchase', '2024-05-20T10:00:00Z', { value: 40.25, channel: 'app' }), // 30 90
  at('alice', 'purchase', '2024-06-14T09:00:00Z', { value: 19.99, channel: 'web' }), // 1 7 30 90
  at('alice', 'refund', '2024-05-01T00:00:00Z', { value: 10, channel: 'web' }), // 90
  at('alice', 'session', '2024-06-15T08:00:00Z', { value: 300.4, channel: 'app' }), // 1 7 30 90
  at('alice', 'app_open', '2024-06-10T07:00:00Z', { channel: 'app' }), // 7 30 90
  at('alice', 'session', '2024-05-25T00:00:00Z', { value: 120, channel: 'app' }), // 30 90
  at('alice', 'page_view', '2024-06-15T09:00:00Z', { channel: 'web' }), // 1 7 30 90
  at('alice', 'product_view', '2024-06-13T23:59:59.999Z', { channel: 'web' }), // 7 30 90 (1 ms before 1d)
  at('alice', 'search', '2024-06-14T00:00:00Z', { channel: 'web' }), // 1 7 30 90 (exactly at 1d start)
  at('alice', 'page_view', '2024-05-15T00:00:00Z', { channel: 'web' }), // 30 90
  at('alice', 'cart_add', '2024-06-12T00:00:00Z', { channel: 'web' }), // 7 30 90
  at('alice', 'cart_add', '2024-05-20T00:00:00Z', { channel: 'web' }), // 30 90
  at('alice', 'checkout_start', '2024-06-12T00:05:00Z', { channel: 'web' }), // 7 30 90
  at('alice', 'message_sent', '2024-06-01T00:00:00Z', { channel: 'email' }), // 30 90
  at('alice', 'message_sent', '2024-06-05T00:00:00Z', { channel: 'email' }), // 30 90
  at('alice', 'message_sent', '2024-06-09T00:00:00Z', { channel: 'email' }), // 7 30 90
  at('alice', 'message_sent', '2024-06-13T00:00:00Z', { channel: 'email' }), // 7 30 90
  at('alice', 'message_open', '2024-06-02T00:00:00Z', { channel: 'email' }), // 30 90
  at('alice', 'message_open', '2024-06-09T01:00:00Z', { channel: 'email' }), // 7 30 90
  at('alice', 'message_click', '2024-06-09T02:00:00Z', { channel: 'email' }), // 7 30 90
  at('alice', 'message_sent', '2024-06-02T00:00:00Z', { channel: 'sms' }), // 30 90
  at('alice', 'message_sent', '2024-06-03T00:00:00Z', { channel: 'sms' }), // 30 90
  at('alice', 'message_open', '2024-06-02T01:00:00Z', { channel: 'sms' }), // 30 90
  at('alice', 'message_open', '2024-06-03T01:00:00Z', { channel: 'sms' }), // 30 90
  at('alice', 'message_open', '2024-06-03T02:00:00Z', { channel: 'sms' }), // 30 90
  at('alice', 'message_sent', '2024-04-01T00:00:00Z', { channel: 'push' }), // 90
  at('alice', 'message_open', '2024-06-01T01:00:00Z', { channel: 'push' }), // 30 90
  at('alice', 'message_sent', '2024-06-04T00:00:00Z', { channel: 'in_app' }), // 30 90
  at('alice', 'unsubscribe', '2024-06-05T00:00:00Z'), // 30 90 (no channel: every messaging channel)
  at('alice', 'unsubscribe', '2024-06-10T00:00:00Z', { channel: 'email' }), // 7 30 90
  at('alice', 'subscribe', '2024-06-11T00:00:00Z', { channel: 'email' }), // 7 30 90
  at('alice', 'unsubscribe', '2024-06-11T00:00:00Z', { channel: 'sms' }), // 7 30 90
  at('alice', 'subscribe', '2024-06-11T00:00:00Z', { channel: 'sms' }), // 7 30 90 (tie: unsubscribe wins)
  at('alice', 'cancel', '2024-03-01T00:00:00Z'), // -
  at('alice', 'nps', '2024-02-01T00:00:00Z', { value: 9 }), // -
  at('alice', 'nps', '2024-06-02T10:00:00Z', { value: 8 }), // 30 90
  at('alice', 'nps', '2024-06-02T10:00:00Z', { value: 6 }), // 30 90 (tie: lower answer wins)
  at('alice', 'csat', OLD, { value: 4 }),
  at('alice', 'csat', OLD, { value: 5 }),
  at('alice', 'csat', OLD, { value: 3 }),
  at('alice', 'review', OLD, { value: 5 }),
  at('alice', 'review', OLD, { value: 4 }),
  at('alice', 'support_ticket', '2024-06-14T12:00:00Z', { channel: 'phone' }), // 1 7 30 90
  at('alice', 'support_ticket', '2024-04-01T00:00:00Z', { channel: 'phone' }), // 90
  at('alice', 'support_ticket', '2024-02-01T00:00:00Z', { channel: 'phone' }), // -
  at('alice', 'referral', OLD),
  at('alice', 'referral', OLD),
  at('alice', 'social_share', OLD, { channel: 'social' }),
  at('alice', 'chat', OLD, { channel: 'chat' }),
  at('alice', 'loyalty_redeem', OLD, { value: 50, channel: 'store' }),
  at('alice', 'quiz_done', '2024-06-15T10:00:00Z', { channel: 'app' }), // 1 7 30 90 (custom type)
];

// Hand-checked from the window column above.
const expected: Record<string, number> = {
  days_since_last_activity: 2 / 24, // quiz_done at 10:00, now 12:00
  days_since_last_purchase: 27 / 24, // 2024-06-14T09:00
  tenure_days: 522.5, // since signup 2023-01-10T00:00
  events_1d: 6,
  events_7d: 18,
  events_30d: 35,
  events_90d: 38,
  sessions_7d: 2, // session + app_open
  sessions_30d: 3,
  session_seconds_7d: 300, // 300.4 s, kept in whole seconds
  session_seconds_30d: 420,
  views_1d: 2,
  views_7d: 3,
  views_30d: 4,
  cart_adds_7d: 1,
  cart_adds_30d: 2,
  checkouts_7d: 1,
  purchases_7d: 1,
  purchases_30d: 2,
  purchases_90d: 2,
  purchases_lifetime: 3,
  revenue_30d: 60.24,
  revenue_90d: 60.24,
  revenue_lifetime: 160.24,
  avg_order_value: 160.24 / 3,
  refunds_90d: 1,
  messages_sent_30d: 7, // 4 e-mail + 2 SMS + 1 in-app; the push one is older than 30d
  email_open_rate_30d: 0.5,
  email_click_rate_30d: 0.25,
  sms_open_rate_30d: 1, // 3 opens of 2 sent, capped
  sms_click_rate_30d: 0,
  push_open_rate_30d: 0, // an open but no push sent in the window
  push_click_rate_30d: 0,
  unsubscribed_email: 0, // re-subscribed after the unsubscribes
  unsubscribed_sms: 1,
  unsubscribed_push: 1, // the channel-less unsubscribe
  last_nps: 6,
  avg_csat: 4,
  avg_review: 4.5,
  support_tickets_30d: 1,
  support_tickets_90d: 2,
  referrals_lifetime: 2,
  reviews_lifetime: 2,
  social_shares_lifetime: 1,
  loyalty_points: 110, // floor(160.24) - 50
  engagement_trend: 19 / ((35 * 7) / 30 + 1),
  preferred_channel: CHANNELS.indexOf('email'), // e-mail 9 = web 9 in 90d: the tie goes to the lower index
  cancelled: 0, // cancel 2024-03-01 precedes the subscribes of 2024-06-11
  subscribed: 1,
  days_since_first_purchase: 147 + 2 / 24, // 2024-01-20T10:00 (leap February) to 2024-06-15T12:00
  purchase_days_lifetime: 3, // three UTC days
  purchase_span_days: 147 + 2 / 24 - 27 / 24, // 2024-01-20T10:00 to 2024-06-14T09:00
  repeat_order_value: (40.25 + 19.99) / 2, // the two purchase days after the first
  days_since_last_cart_add: 3.5, // 2024-06-12T00:00 (the 2024-05-20 one is older)
  days_since_last_app_open: 5 + 5 / 24, // 2024-06-10T07:00
};

describe('feature catalog coverage', () => {
  it('the scripted expectations name every feature of the catalog', () => {
    expect(Object.keys(expected).sort()).toEqual([...FEATURE_NAMES].sort());
  });

  it('writes every position of the vector, and only inside [offset, offset + FEATURE_COUNT)', () => {
    const store = createCustomerStore();
    store.apply([decoded(at('x', 'page_view', '2024-06-15T00:00:00Z'))]);
    const out = new Float32Array(FEATURE_COUNT + 6).fill(Number.NaN);
    store.features(0, NOW, out, 3);
    expect(out.slice(3, 3 + FEATURE_COUNT).every((v) => Number.isFinite(v))).toBe(true);
    expect([...out.slice(0, 3), ...out.slice(3 + FEATURE_COUNT)].every(Number.isNaN)).toBe(true);
  });
});

describe('features of a scripted customer history', () => {
  const store = createCustomerStore();
  const result = store.apply(alice.map((e, i) => decoded(e, i + 1)));
  const got = vector(store, 'alice', NOW);

  it('applies every event', () => {
    expect(result.applied).toBe(alice.length);
    expect(result.rejected).toEqual([]);
  });

  for (const [i, name] of FEATURE_NAMES.entries()) {
    it(`${name} = ${expected[name]}`, () => {
      expect(got[i]).toBeCloseTo(expected[name]!, 4);
    });
  }
});

describe('lifecycle and defaults', () => {
  it('a cancel after a subscribe means cancelled and not subscribed; never purchased means defaults', () => {
    const store = createCustomerStore();
    store.apply([
      decoded(at('bob', 'subscribe', '2024-06-01T00:00:00Z', { channel: 'web' })),
      decoded(at('bob', 'cancel', '2024-06-10T00:00:00Z', { channel: 'web' })),
    ]);
    expect(feature(store, 'bob', 'cancelled', NOW)).toBe(1);
    expect(feature(store, 'bob', 'subscribed', NOW)).toBe(0);
    expect(feature(store, 'bob', 'preferred_channel', NOW)).toBe(CHANNELS.indexOf('web'));
    expect(feature(store, 'bob', 'days_since_last_purchase', NOW)).toBe(365);
    expect(feature(store, 'bob', 'days_since_first_purchase', NOW)).toBe(0);
    expect(feature(store, 'bob', 'avg_order_value', NOW)).toBe(0);
    expect(feature(store, 'bob', 'last_nps', NOW)).toBe(-1);
    expect(feature(store, 'bob', 'avg_csat', NOW)).toBe(0);
    expect(feature(store, 'bob', 'unsubscribed_email', NOW)).toBe(0);
    expect(feature(store, 'bob', 'days_since_last_cart_add', NOW)).toBe(365);
    expect(feature(store, 'bob', 'days_since_last_app_open', NOW)).toBe(365);
  });

  it('a cancel and a subscribe in the same millisecond leave neither cancelled nor subscribed', () => {
    const store = createCustomerStore();
    store.apply([
      decoded(at('carol', 'cancel', '2024-06-01T00:00:00Z')),
      decoded(at('carol', 'subscribe', '2024-06-01T00:00:00Z')),
    ]);
    expect(feature(store, 'carol', 'cancelled', NOW)).toBe(0);
    expect(feature(store, 'carol', 'subscribed', NOW)).toBe(0);
  });

  it('caps recency at 365 days, tenure and days since the first purchase at 3650 days', () => {
    const store = createCustomerStore({ horizonDays: 20_000 });
    store.apply([decoded(at('dan', 'purchase', '2001-01-01T00:00:00Z', { value: 1 }))]);
    expect(feature(store, 'dan', 'days_since_last_activity', NOW)).toBe(365);
    expect(feature(store, 'dan', 'days_since_last_purchase', NOW)).toBe(365);
    expect(feature(store, 'dan', 'tenure_days', NOW)).toBe(3650);
    expect(feature(store, 'dan', 'days_since_first_purchase', NOW)).toBe(3650);
    store.apply([
      decoded(at('dan', 'cart_add', '2002-01-01T00:00:00Z')),
      decoded(at('dan', 'app_open', '2002-01-01T00:00:00Z')),
    ]);
    expect(feature(store, 'dan', 'days_since_last_cart_add', NOW)).toBe(365);
    expect(feature(store, 'dan', 'days_since_last_app_open', NOW)).toBe(365);
  });

  it('days since the last cart_add / app_open follow the latest one, not the latest to arrive', () => {
    const store = createCustomerStore();
    store.apply([
      decoded(at('fay', 'cart_add', '2024-06-14T00:00:00Z')),
      decoded(at('fay', 'app_open', '2024-06-13T12:00:00Z')),
      decoded(at('fay', 'page_view', '2024-06-15T06:00:00Z')),
    ]);
    expect(feature(store, 'fay', 'days_since_last_cart_add', NOW)).toBe(1.5);
    expect(feature(store, 'fay', 'days_since_last_app_open', NOW)).toBe(2);
    // Late arrivals older than the latest change nothing; other types never move these clocks.
    store.apply([
      decoded(at('fay', 'cart_add', '2024-06-01T00:00:00Z')),
      decoded(at('fay', 'app_open', '2024-06-01T00:00:00Z')),
      decoded(at('fay', 'session', '2024-06-15T11:00:00Z', { value: 60 })),
    ]);
    expect(feature(store, 'fay', 'days_since_last_cart_add', NOW)).toBe(1.5);
    expect(feature(store, 'fay', 'days_since_last_app_open', NOW)).toBe(2);
    // Read before the latest cart_add (a replay cut-off): never negative.
    expect(feature(store, 'fay', 'days_since_last_cart_add', Date.parse('2024-06-13T00:00:00Z'))).toBe(0);
  });

  it('days since the first purchase follow the earliest purchase, even one that arrives late', () => {
    const store = createCustomerStore();
    store.apply([
      decoded(at('erin', 'page_view', '2024-06-01T00:00:00Z')),
      decoded(at('erin', 'purchase', '2024-06-10T00:00:00Z', { value: 5 })),
    ]);
    expect(feature(store, 'erin', 'days_since_first_purchase', NOW)).toBe(5.5);
    expect(feature(store, 'erin', 'tenure_days', NOW)).toBe(14.5);
    store.apply([decoded(at('erin', 'purchase', '2024-06-05T00:00:00Z', { value: 5 }))]);
    expect(feature(store, 'erin', 'days_since_first_purchase', NOW)).toBe(10.5);
    store.apply([decoded(at('erin', 'purchase', '2024-06-12T00:00:00Z', { value: 5 }))]);
    expect(feature(store, 'erin', 'days_since_first_purchase', NOW)).toBe(10.5);
    expect(feature(store, 'erin', 'days_since_last_purchase', NOW)).toBe(3.5);
  });
});
