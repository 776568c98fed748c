import { beforeAll, describe, expect, it } from 'vitest';
import { createSegmentMembership, loadSegmentRules, type SegmentRuleSet } from '../../src/segment/index.js';
import { batch, HOUR_MS, idOf, T0, type Row } from './helpers.js';

let pack: SegmentRuleSet;
beforeAll(async () => {
  pack = await loadSegmentRules('config/segments.json');
});

/** The default segments a fresh customer with `row` enters. */
function entered(row: Row): string[] {
  const m = createSegmentMembership(pack);
  const { features, scores } = batch([row]);
  m.evaluate([0], 1, features, scores, T0, idOf);
  return m.segmentsOf(0);
}

// For each default segment: a customer who belongs (yes) and a near neighbour who does not (no).
const cases: Record<string, { yes: Row; no: Row }> = {
  big_spenders: { yes: { features: { revenue_90d: 700 } }, no: { features: { revenue_90d: 550 } } },
  loyal_repeat_buyers: {
    yes: { features: { purchases_90d: 5, tenure_days: 120 } },
    no: { features: { purchases_90d: 5, tenure_days: 10 } },
  },
  one_time_buyers: {
    yes: { features: { purchases_lifetime: 1, purchases_90d: 1, days_since_last_purchase: 20 } },
    no: { features: { purchases_lifetime: 2, days_since_last_purchase: 20 } },
  },
  cart_abandoners: {
    yes: { features: { cart_adds_7d: 1, days_since_last_cart_add: 2 / 24, days_since_last_purchase: 5 } },
    no: { features: { cart_adds_7d: 1, days_since_last_cart_add: 0.5 / 24, days_since_last_purchase: 5 } },
  },
  browsers_never_bought: {
    yes: { features: { purchases_lifetime: 0, purchases_90d: 0, revenue_90d: 0, views_30d: 8 } },
    no: { features: { purchases_lifetime: 0, purchases_90d: 0, revenue_90d: 0, views_30d: 2 } },
  },
  email_responsive: {
    yes: { features: { email_open_rate_30d: 0.5, email_click_rate_30d: 0.1 } },
    no: { features: { email_open_rate_30d: 0.5, email_click_rate_30d: 0.1, unsubscribed_email: 1 } },
  },
  sms_responsive: {
    yes: { features: { sms_open_rate_30d: 0.6, sms_click_rate_30d: 0.2 } },
    no: { features: { sms_open_rate_30d: 0.1, sms_click_rate_30d: 0.2 } },
  },
  push_responsive: {
    yes: { features: { push_open_rate_30d: 0.4, push_click_rate_30d: 0.06 } },
    no: { features: { push_open_rate_30d: 0.4, push_click_rate_30d: 0.01 } },
  },
  valuable_at_risk: {
    yes: { churnRisk: 0.7, features: { revenue_lifetime: 400 } },
    no: { churnRisk: 0.55, features: { revenue_lifetime: 400 } },
  },
  promoters: { yes: { features: { last_nps: 9 } }, no: { features: { last_nps: 8 } } },
  detractors: { yes: { features: { last_nps: 0 } }, no: { features: { last_nps: -1 } } },
  unhappy: { yes: { features: { avg_csat: 2 } }, no: { features: { avg_csat: 4, support_tickets_30d: 2 } } },
  advocates: {
    yes: { features: { reviews_lifetime: 2, avg_review: 4.8 } },
    no: { features: { reviews_lifetime: 2, avg_review: 4.2, social_shares_lifetime: 2 } },
  },
  new_customers: { yes: { features: { tenure_days: 3 } }, no: { features: { tenure_days: 45 } } },
  lapsed_winback: {
    yes: { features: { days_since_last_purchase: 90, days_since_last_activity: 40, purchases_90d: 0 } },
    no: { features: { days_since_last_purchase: 90, days_since_last_activity: 5, purchases_90d: 0 } },
  },
  unsubscribed: { yes: { features: { unsubscribed_sms: 1 } }, no: { features: { unsubscribed_sms: 0 } } },
};

describe('the default pack', () => {
  it('has a case for every segment', () => {
    expect(Object.keys(cases).sort()).toEqual(pack.rules.map((r) => r.name).sort());
  });
  it('the neutral customer is in no segment', () => {
    expect(entered({})).toEqual([]);
  });
  it.each(Object.keys(cases))('%s: reached by its crafted customer, not by the near miss', (name) => {
    const c = cases[name];
    expect(entered(c!.yes)).toContain(name);
    expect(entered(c!.no)).not.toContain(name);
  });
  it('cart_abandoners leaves on a purchase after the cart add, not on another cart add', () => {
    const m = createSegmentMembership(pack);
    const abandon = { cart_adds_7d: 1, days_since_last_cart_add: 2 / 24, days_since_last_purchase: 5 };
    let b = batch([{ features: abandon }]);
    m.evaluate([0], 1, b.features, b.scores, T0, idOf);
    expect(m.segmentsOf(0)).toContain('cart_abandoners');
    b = batch([{ features: { ...abandon, cart_adds_7d: 2, days_since_last_cart_add: 0 } }]);
    m.evaluate([0], 1, b.features, b.scores, T0 + 2 * HOUR_MS, idOf);
    expect(m.segmentsOf(0)).toContain('cart_abandoners');
    b = batch([
      {
        features: { ...abandon, cart_adds_7d: 2, days_since_last_cart_add: 0.2, days_since_last_purchase: 0 },
      },
    ]);
    const changes = m.evaluate([0], 1, b.features, b.scores, T0 + 3 * HOUR_MS, idOf);
    expect(m.segmentsOf(0)).not.toContain('cart_abandoners');
    expect(changes.find((c) => c.segment === 'cart_abandoners')?.reason).toEqual([
      'days_since_last_purchase <= days_since_last_cart_add',
    ]);
  });
});
