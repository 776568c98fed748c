import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { ENGAGEMENT_WEIGHTS, engagementScore } from '../../src/score/engagement.js';
import { FEATURE_COUNT, featureIndex } from '../../src/state/feature-catalog.js';

const at = (name: string): number => {
  const i = featureIndex(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return i;
};

/** A plausible feature vector: counts >= 0, rates 0..1, ratings with their "never" sentinels. */
const vector = fc
  .record({
    counts: fc.array(fc.float({ min: 0, max: 500, noNaN: true }), {
      minLength: FEATURE_COUNT,
      maxLength: FEATURE_COUNT,
    }),
    days: fc.integer({ min: 0, max: 365 }),
    rates: fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
    nps: fc.integer({ min: -1, max: 10 }),
    csat: fc.constantFrom(0, 1, 2.5, 5),
  })
  .map(({ counts, days, rates, nps, csat }) => {
    const v = Float32Array.from(counts);
    v[at('days_since_last_activity')] = days;
    ['email', 'sms', 'push'].forEach((c, k) => {
      v[at(`${c}_open_rate_30d`)] = rates[2 * k]!;
      v[at(`${c}_click_rate_30d`)] = rates[2 * k + 1]!;
    });
    v[at('last_nps')] = nps;
    v[at('avg_csat')] = csat;
    v[at('avg_review')] = 0;
    return v;
  });

function withFeature(v: Float32Array, name: string, value: number): Float32Array {
  const w = Float32Array.from(v);
  w[at(name)] = value;
  return w;
}

describe('engagementScore', () => {
  it('weights sum to 100', () => {
    expect(Object.values(ENGAGEMENT_WEIGHTS).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('is an integer in 0..100 for any plausible vector, and for garbage (NaN) too', () => {
    fc.assert(
      fc.property(vector, (v) => {
        const s = engagementScore(v, 0);
        return Number.isInteger(s) && s >= 0 && s <= 100;
      }),
    );
    const garbage = engagementScore(new Float32Array(FEATURE_COUNT).fill(NaN), 0);
    expect(Number.isInteger(garbage) && garbage >= 0 && garbage <= 100).toBe(true);
    // An unknown recency is not rewarded as "active today".
    const silent = new Float32Array(FEATURE_COUNT);
    silent[at('days_since_last_activity')] = 365;
    expect(engagementScore(withFeature(silent, 'days_since_last_activity', NaN), 0)).toBe(
      engagementScore(silent, 0),
    );
  });

  it('spans the range: a silent customer scores low, a thriving one high', () => {
    const silent = new Float32Array(FEATURE_COUNT);
    silent[at('days_since_last_activity')] = 365;
    silent[at('last_nps')] = -1;
    expect(engagementScore(silent, 0)).toBeLessThanOrEqual(5);

    const thriving = new Float32Array(FEATURE_COUNT);
    for (const [name, value] of Object.entries({
      days_since_last_activity: 0,
      sessions_30d: 40,
      views_30d: 120,
      purchases_90d: 8,
      revenue_90d: 1200,
      email_open_rate_30d: 0.6,
      email_click_rate_30d: 0.2,
      session_seconds_30d: 20_000,
      last_nps: 10,
      avg_csat: 5,
      referrals_lifetime: 4,
      social_shares_lifetime: 3,
    })) {
      thriving[at(name)] = value;
    }
    expect(engagementScore(thriving, 0)).toBeGreaterThanOrEqual(95);
  });

  it('never drops when activity is more recent', () => {
    fc.assert(
      fc.property(vector, fc.integer({ min: 0, max: 365 }), fc.integer({ min: 0, max: 365 }), (v, a, b) => {
        const [recent, older] = a <= b ? [a, b] : [b, a];
        const name = 'days_since_last_activity';
        return (
          engagementScore(withFeature(v, name, recent), 0) >= engagementScore(withFeature(v, name, older), 0)
        );
      }),
    );
  });

  for (const name of [
    'purchases_90d',
    'revenue_90d',
    'sessions_30d',
    'views_30d',
    'session_seconds_30d',
    'sms_click_rate_30d',
    'email_open_rate_30d',
    'referrals_lifetime',
    'social_shares_lifetime',
  ]) {
    it(`never drops when ${name} grows`, () => {
      fc.assert(
        fc.property(vector, fc.float({ min: 0, max: 1, noNaN: true }), (v, extra) => {
          const base = v[at(name)]!;
          const more = name.includes('rate') ? Math.min(1, base + extra) : base + extra * 100;
          return engagementScore(withFeature(v, name, more), 0) >= engagementScore(v, 0);
        }),
      );
    });
  }

  it('more purchases move a customer up visibly', () => {
    const v = new Float32Array(FEATURE_COUNT);
    v[at('days_since_last_activity')] = 3;
    v[at('last_nps')] = -1;
    expect(engagementScore(withFeature(v, 'purchases_90d', 4), 0)).toBeGreaterThan(engagementScore(v, 0));
  });

  it('reads the vector at the given offset of a batch matrix', () => {
    fc.assert(
      fc.property(vector, vector, (a, b) => {
        const m = new Float32Array(2 * FEATURE_COUNT);
        m.set(a, 0);
        m.set(b, FEATURE_COUNT);
        return (
          engagementScore(m, 0) === engagementScore(a, 0) &&
          engagementScore(m, FEATURE_COUNT) === engagementScore(b, 0)
        );
      }),
    );
  });
});
