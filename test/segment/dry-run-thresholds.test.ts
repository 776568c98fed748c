import { describe, expect, it } from 'vitest';
import {
  compileSegmentRules,
  createActivation,
  dryRunRule,
  loadSegmentRules,
  planActivation,
  recencyThresholds,
  SEGMENT_VARIABLES,
  writeActivation,
  type DryRunRow,
} from '../../src/segment/index.js';
import { batch } from './helpers.js';

describe('dryRunRule', () => {
  const customers = Array.from({ length: 50 }, (_, i) => ({ churnRisk: i / 50, engagement: i * 2 }));
  /** Rows as the engine offers them: one reused activation object, written per customer. */
  function* rows(): Iterable<DryRunRow> {
    const { features, scores } = batch(customers);
    const act = createActivation();
    const plan = planActivation(SEGMENT_VARIABLES);
    for (let r = 0; r < customers.length; r++) {
      writeActivation(act, plan, features, scores, r);
      yield { customerId: `c${r}`, activation: act };
    }
  }
  it('counts matches and samples the first matching ids', () => {
    // churnRisk >= 0.8 -> i >= 40 (10 customers); engagement < 90 -> i < 45.
    const res = dryRunRule('churnRisk >= 0.8 && engagement < 90', rows(), 3);
    expect(res).toEqual({ matches: 5, evaluated: 50, sample: ['c40', 'c41', 'c42'] });
    expect(dryRunRule('stage == "repeat"', rows())).toMatchObject({ matches: 50, evaluated: 50 });
    expect(dryRunRule('churnRisk > 2.0', [])).toEqual({ matches: 0, evaluated: 0, sample: [] });
  });
  it('refuses a bad rule before reading rows', () => {
    expect(() => dryRunRule('purchases_9d > 0', rows())).toThrow(
      expect.objectContaining({ identifier: 'purchases_9d' }),
    );
  });
});

describe('recencyThresholds', () => {
  it('finds clock-feature comparisons with folded constants, either side, deduplicated', () => {
    const set = compileSegmentRules(
      {
        segments: [
          {
            name: 'a',
            enter:
              'days_since_last_cart_add >= 1.0/24.0 && days_since_last_cart_add < days_since_last_purchase',
            exit: '7 < days_since_last_activity || churnRisk > 0.5',
          },
          { name: 'b', enter: 'days_since_last_activity > 7 && tenure_days < 30 && revenue_90d > 100' },
          { name: 'c', enter: 'days_since_last_purchase >= -(-2.0 * 30.0)' },
        ],
      },
      'f',
    );
    expect(recencyThresholds(set)).toEqual([
      { feature: 'days_since_last_activity', days: 7 },
      { feature: 'days_since_last_cart_add', days: 1 / 24 },
      { feature: 'days_since_last_purchase', days: 60 },
      { feature: 'tenure_days', days: 30 },
    ]);
  });
  it('lists the default pack thresholds (cart abandonment at one hour among them)', async () => {
    const found = recencyThresholds(await loadSegmentRules('config/segments.json'));
    expect(found).toContainEqual({ feature: 'days_since_last_cart_add', days: 1 / 24 });
    expect(found).toContainEqual({ feature: 'days_since_last_purchase', days: 60 });
    expect(found).toContainEqual({ feature: 'tenure_days', days: 30 });
    expect(found.every((t) => t.feature.startsWith('days_since_') || t.feature === 'tenure_days')).toBe(true);
  });
});
