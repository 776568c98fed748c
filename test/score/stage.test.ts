import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { lifecycleStage, lifecycleStageIndex, STAGE_THRESHOLDS } from '../../src/score/stage.js';
import { STAGES, type Stage } from '../../src/score/types.js';
import { FEATURE_COUNT, featureIndex } from '../../src/state/feature-catalog.js';

/** A feature vector of a customer seen today with nothing else, plus the given features. */
function customer(features: Record<string, number>): Float32Array {
  const v = new Float32Array(FEATURE_COUNT);
  v[featureIndex('days_since_last_purchase')] = 365; // "never", as the store writes it
  v[featureIndex('last_nps')] = -1;
  v[featureIndex('preferred_channel')] = -1;
  for (const [name, value] of Object.entries(features)) {
    const i = featureIndex(name);
    if (i < 0) throw new Error(`no feature ${name}`);
    v[i] = value;
  }
  return v;
}

const buyer = (n: number, extra: Record<string, number> = {}) =>
  customer({
    purchases_lifetime: n,
    purchases_90d: n,
    days_since_last_purchase: 5,
    events_90d: 10 * n,
    ...extra,
  });

const cases: [Stage, string, Float32Array, number][] = [
  [
    'churned',
    'explicit cancel, even when active and loyal',
    buyer(5, { cancelled: 1, referrals_lifetime: 2 }),
    0,
  ],
  ['churned', 'no event for 90 days', customer({ days_since_last_activity: 90 }), 0],
  ['lapsed', 'no event for 30 days', customer({ days_since_last_activity: 30 }), 0],
  [
    'lapsed',
    'a past buyer with no purchase in 90 days',
    buyer(3, { days_since_last_purchase: 120, purchases_90d: 0 }),
    0,
  ],
  ['at_risk', 'high churn risk for a buyer', buyer(1), 0.6],
  ['at_risk', 'high churn risk for an active non-buyer', customer({ events_90d: 3, views_30d: 3 }), 0.9],
  ['advocate', 'repeat buyer who referred someone', buyer(2, { referrals_lifetime: 1 }), 0.1],
  ['advocate', 'repeat buyer who shared', buyer(3, { social_shares_lifetime: 1 }), 0.1],
  ['advocate', 'repeat buyer who is a promoter', buyer(2, { last_nps: 9 }), 0.1],
  ['repeat', 'two purchases, a passive NPS', buyer(2, { last_nps: 8 }), 0.1],
  ['first_purchase', 'exactly one purchase', buyer(1), 0.59],
  ['evaluation', 'a cart add in 30 days, no purchase', customer({ cart_adds_30d: 1, views_30d: 5 }), 0.2],
  ['evaluation', 'a checkout in 7 days, no purchase', customer({ checkouts_7d: 1 }), 0.2],
  ['nurture', 'sessions in 30 days', customer({ sessions_30d: 2 }), 0.2],
  ['nurture', 'product views in 30 days', customer({ views_30d: 1 }), 0.2],
  ['nurture', 'a message click, no visit', customer({ sms_click_rate_30d: 0.1 }), 0.2],
  ['awareness', 'nothing but a signup', customer({ events_90d: 1 }), 0.2],
  [
    'awareness',
    'high risk but never active: not "at risk" of losing anything yet',
    customer({ events_90d: 1 }),
    0.95,
  ],
];

describe('lifecycleStage', () => {
  for (const [stage, why, v, risk] of cases) {
    it(`${stage}: ${why}`, () => {
      expect(lifecycleStage(v, 0, risk)).toBe(stage);
      expect(STAGES[lifecycleStageIndex(v, 0, risk)]).toBe(stage);
    });
  }

  it('every stage is reachable by the cases above', () => {
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(STAGES));
  });

  it('uses the thresholds it is given', () => {
    const v = customer({ days_since_last_activity: 45 });
    expect(lifecycleStage(v, 0, 0)).toBe('lapsed');
    expect(lifecycleStage(v, 0, 0, { ...STAGE_THRESHOLDS, churnedInactiveDays: 40 })).toBe('churned');
    const risky = buyer(1);
    expect(lifecycleStage(risky, 0, 0.5)).toBe('first_purchase');
    expect(lifecycleStage(risky, 0, 0.5, { ...STAGE_THRESHOLDS, atRiskChurnRisk: 0.5 })).toBe('at_risk');
  });

  it('reads the vector at the given offset', () => {
    const m = new Float32Array(3 * FEATURE_COUNT);
    m.set(customer({ cancelled: 1 }), 0);
    m.set(buyer(2, { referrals_lifetime: 1 }), FEATURE_COUNT);
    m.set(customer({}), 2 * FEATURE_COUNT);
    expect([0, 1, 2].map((r) => lifecycleStage(m, r * FEATURE_COUNT, 0))).toEqual([
      'churned',
      'advocate',
      'awareness',
    ]);
  });

  it('always returns a stage, whatever the vector', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: false }), { minLength: FEATURE_COUNT, maxLength: FEATURE_COUNT }),
        fc.float({ min: 0, max: 1 }),
        (xs, risk) => STAGES.includes(lifecycleStage(Float32Array.from(xs), 0, risk)),
      ),
    );
  });
});
