import { describe, expect, it } from 'vitest';
import {
  EVENT_TYPES,
  MAX_EVENT_VALUE,
  RATING_RANGES,
  maxEventValue,
  valueFamily,
} from '../../src/contract/catalog.js';

describe('MAX_EVENT_VALUE', () => {
  it('bounds amounts and points at 1e9, sessions at one week, every other value at 1e9', () => {
    expect(MAX_EVENT_VALUE).toEqual({ amount: 1e9, points: 1e9, sessionSeconds: 604_800, other: 1e9 });
    expect(Object.isFrozen(MAX_EVENT_VALUE)).toBe(true);
  });

  it.each([
    ['purchase', 'amount'],
    ['refund', 'amount'],
    ['loyalty_redeem', 'points'],
    ['session', 'sessionSeconds'],
    ['page_view', 'other'],
    ['nps', 'other'],
    ['webinar_attended', 'other'],
    // Custom types named like Object.prototype members must not read prototype values.
    ['constructor', 'other'],
    ['__proto__', 'other'],
    ['tostring', 'other'],
  ] as const)('%s is in family %s', (type, family) => {
    expect(valueFamily(type)).toBe(family);
    expect(maxEventValue(type)).toBe(MAX_EVENT_VALUE[family]);
  });

  it('keeps every bound finite and wider than the rating ranges', () => {
    for (const type of EVENT_TYPES) {
      const max = maxEventValue(type);
      expect(Number.isFinite(max)).toBe(true);
      const rating = RATING_RANGES[type];
      if (rating !== undefined) expect(rating[1]).toBeLessThanOrEqual(max);
    }
  });
});
