import { describe, expect, it } from 'vitest';
import { MAX_EVENT_VALUE, maxEventValue, valueFamily } from '../../src/contract/catalog.js';
import { DEFAULT_DECODE_OPTIONS, decodeBatch } from '../../src/decode/index.js';
import type { InboundMessage } from '../../src/ingest/types.js';
import { NOW, batchOf, json, message, msgpack, subjectOf, validMessage } from './messages.js';

/** The smallest double above a positive finite `x`: "just over" a bound, with no rounding slack. */
function nextUp(x: number): number {
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] = bits[0]! + 1n;
  return new Float64Array(bits.buffer)[0]!;
}

const event = (type: string, value: number): Record<string, unknown> => ({
  customerId: 'edge',
  type,
  ts: NOW - 1,
  value,
});

/** Decodes `bad` between four valid events; returns the batch result. */
function decodeAmidValid(bad: InboundMessage) {
  return decodeBatch(
    batchOf([validMessage(1, 1), validMessage(2, 2), bad, validMessage(3, 4), validMessage(4, 5)]),
    DEFAULT_DECODE_OPTIONS,
    NOW,
  );
}

// [type, bound]: one row per family, plus custom types (which share `other`).
const families: [string, number][] = [
  ['purchase', MAX_EVENT_VALUE.amount],
  ['refund', MAX_EVENT_VALUE.amount],
  ['loyalty_redeem', MAX_EVENT_VALUE.points],
  ['session', MAX_EVENT_VALUE.sessionSeconds],
  ['page_view', MAX_EVENT_VALUE.other],
  ['webinar_attended', MAX_EVENT_VALUE.other],
  ['constructor', MAX_EVENT_VALUE.other],
];

describe('upper bounds on event values (MAX_EVENT_VALUE)', () => {
  it('nextUp is the next double', () => {
    expect(nextUp(1e9)).toBeGreaterThan(1e9);
    expect((nextUp(1e9) + 1e9) / 2).toBe(1e9);
    expect(maxEventValue('session')).toBe(604_800);
  });

  describe.each(families)('%s (bound %d)', (type, bound) => {
    it('accepts a value exactly at the bound', () => {
      const sent = event(type, bound);
      const out = decodeAmidValid(message(msgpack(sent), subjectOf(sent), 3));
      expect(out.rejected).toEqual([]);
      expect(out.events.map((e) => e.streamSeq)).toEqual([1, 2, 3, 4, 5]);
      expect(out.events[2]!.event.value).toBe(bound);
    });

    it.each([
      ['the next double above', nextUp(bound)],
      ['one unit above', bound + 1],
    ])('refuses %s as out_of_range, naming field, value and bound, and keeps the events around', (_n, v) => {
      const sent = event(type, v);
      const bad = message(msgpack(sent), subjectOf(sent), 3);
      const out = decodeAmidValid(bad);
      expect(out.rejected).toHaveLength(1);
      const rejection = out.rejected[0]!;
      expect(rejection.reason).toBe('out_of_range');
      expect(rejection.detail).toContain('value');
      expect(rejection.detail).toContain(type);
      expect(rejection.detail).toContain(String(v));
      expect(rejection.detail).toContain(String(bound));
      expect(rejection.detail).toMatch(/^[\x20-\x7e]+$/);
      expect(rejection.streamSeq).toBe(3);
      expect(rejection.data).toBe(bad.data);
      expect(out.events.map((e) => e.streamSeq)).toEqual([1, 2, 4, 5]);
    });
  });

  describe.each(families.filter(([t]) => valueFamily(t) === 'other'))(
    '%s below zero (|value| bounded)',
    (type, bound) => {
      it('accepts -bound and refuses just below it', () => {
        const atBound = event(type, -bound);
        const below = event(type, -nextUp(bound));
        const out = decodeBatch(
          batchOf([
            message(msgpack(atBound), subjectOf(atBound), 1),
            message(msgpack(below), subjectOf(below), 2),
          ]),
          DEFAULT_DECODE_OPTIONS,
          NOW,
        );
        expect(out.events.map((e) => e.event.value)).toEqual([-bound]);
        expect(out.rejected.map((r) => [r.reason, r.streamSeq])).toEqual([['out_of_range', 2]]);
        expect(out.rejected[0]!.detail).toContain(`-${bound}..${bound}`);
      });
    },
  );

  it.each([
    ['purchase of 1e39', event('purchase', 1e39)],
    ['refund of Number.MAX_VALUE', event('refund', Number.MAX_VALUE)],
    ['loyalty_redeem of 1e308', event('loyalty_redeem', 1e308)],
    ['session of a year', event('session', 365 * 86_400)],
    ['custom value -1e300', event('webinar_attended', -1e300)],
  ])('refuses the huge: %s', (_name, sent) => {
    const out = decodeAmidValid(message(msgpack(sent), subjectOf(sent), 3));
    expect(out.rejected.map((r) => r.reason)).toEqual(['out_of_range']);
    expect(out.events).toHaveLength(4);
  });

  it('refuses a JSON purchase of 1e39 (finite after JSON.parse, so not non_finite_number)', () => {
    const sent = event('purchase', 0);
    const text = `{"customerId":"edge","type":"purchase","ts":${NOW - 1},"value":1e39}`;
    const out = decodeAmidValid(message(json(text), subjectOf(sent), 3, 'application/json'));
    expect(out.rejected.map((r) => r.reason)).toEqual(['out_of_range']);
    expect(out.rejected[0]!.detail).toBe('value: purchase must be within 0..1000000000, got 1e+39');
  });

  it('leaves rating ranges and the non-negative rule as they were', () => {
    const sent = [event('nps', 10), event('nps', 11), event('csat', 0), event('purchase', -0.01)];
    const out = decodeBatch(
      batchOf(sent.map((e, i) => message(msgpack(e), subjectOf(e), i + 1))),
      DEFAULT_DECODE_OPTIONS,
      NOW,
    );
    expect(out.events.map((e) => e.event.value)).toEqual([10]);
    expect(out.rejected.map((r) => r.detail)).toEqual([
      'value: nps must be within 0..10, got 11',
      'value: csat must be within 1..5, got 0',
      'value: purchase must be within 0..1000000000, got -0.01',
    ]);
  });
});
