import { describe, expect, it } from 'vitest';
import {
  UNKNOWN_CUSTOMER_TOKEN,
  clockTickSubject,
  customerToken,
  customerTokenOfSubject,
  deadLetterSubject,
  eventSubject,
} from '../../src/contract/subjects.js';
import { DEFAULT_DECODE_OPTIONS, decodeBatch } from '../../src/decode/index.js';
import { subjectCovers } from '../../src/publish/dead-letter-stream.js';
import { DAY_MS, createCustomerStore } from '../../src/state/index.js';
import { at, decoded } from '../state/events.js';
import { NOW, batchOf, json, message, msgpack } from './messages.js';

const opts = { ...DEFAULT_DECODE_OPTIONS, subjectPrefix: 'events' };
const ESCAPED = 'ann lee@example.com';

/** The customer token decode puts on the rejection of one message. */
function tokenOf(
  subject: string,
  data: Uint8Array,
  options = opts,
  contentType?: string,
): string | undefined {
  const out = decodeBatch(batchOf([message(data, subject, 1, contentType)]), options, NOW);
  expect(out.rejected).toHaveLength(1);
  return out.rejected[0]!.customerToken;
}

describe('a rejection names its customer by subject token (it picks the dead-letter subject)', () => {
  it("from the subject, whatever was wrong with the payload, the id escaped as in the event's subject", () => {
    expect(tokenOf(eventSubject('events', 'ann', 'page_view'), Uint8Array.of(0xc1))).toBe('ann');
    const nps = { customerId: ESCAPED, type: 'nps', ts: NOW, value: 11 };
    expect(tokenOf(eventSubject('events', ESCAPED, 'nps'), msgpack(nps))).toBe(customerToken(ESCAPED));
    expect(customerToken(ESCAPED)).toBe('ann%20lee%40example%2Ecom');
    // The subject's customer wins over the payload's (the event stream is purged by subject too).
    const other = { customerId: 'bob', type: 'page_view', ts: NOW };
    expect(tokenOf(eventSubject('events', 'ann', 'page_view'), msgpack(other))).toBe('ann');
  });

  it('from a valid customerId in the payload when the subject names no customer', () => {
    const e = { customerId: ESCAPED, type: 'page_view', ts: NOW };
    expect(tokenOf('events.a.b.page_view', msgpack(e))).toBe(customerToken(ESCAPED));
    // A non-canonical token is nobody's: %41 is not how 'A' is written.
    expect(tokenOf('events.%41.page_view', msgpack({ customerId: 'A', type: 'page_view', ts: NOW }))).toBe(
      'A',
    );
  });

  it('unknown when neither does: undecodable bytes off the subject rule, an invalid id, a bad clock tick', () => {
    expect(tokenOf('events.nobody', Uint8Array.of(0xc1, 0xff))).toBeUndefined();
    expect(tokenOf('events.%41.page_view', Uint8Array.of(0xc1))).toBeUndefined();
    const long = { customerId: 'x'.repeat(129), type: 'page_view', ts: NOW };
    expect(tokenOf('events.a.b.c', msgpack(long))).toBeUndefined();
    // JSON can carry a lone surrogate (\ud800): such an id is refused, and names no one.
    const lone = json(`{"customerId":"a\\ud800","type":"page_view","ts":${NOW}}`);
    expect(tokenOf('events.a.b.c', lone, opts, 'application/json')).toBeUndefined();
    expect(tokenOf(clockTickSubject('events'), json('{"ts":"soon"}'), opts, 'application/json')).toBe(
      undefined,
    );
  });

  it('with a partition prefix, the token after the partition number', () => {
    const partitioned = { ...opts, subjectPrefix: 'pevents.3' };
    expect(tokenOf('pevents.3.bob.page_view', Uint8Array.of(0xc1), partitioned)).toBe('bob');
    expect(customerTokenOfSubject('pevents.3', 'pevents.3.ann%40x.purchase')).toBe('ann%40x');
    expect(customerTokenOfSubject('pevents', 'pevents.3.ann.purchase')).toBeUndefined();
  });

  it('the state stage names the customer of a too_old event too', () => {
    const store = createCustomerStore({ horizonDays: 30 });
    store.apply([decoded(at(ESCAPED, 'page_view', new Date(NOW).toISOString()), 1)]);
    const old = decoded(at(ESCAPED, 'purchase', new Date(NOW - 31 * DAY_MS).toISOString(), { value: 1 }), 2);
    const result = store.apply([old]);
    expect(result.rejected.map((r) => [r.reason, r.customerToken])).toEqual([
      ['too_old', customerToken(ESCAPED)],
    ]);
  });
});

describe('deadLetterSubject', () => {
  it('is <base>.<token>, or <base>.$unknown for no token or one that is not a canonical customer token', () => {
    expect(deadLetterSubject('out.dlq', 'ann')).toBe('out.dlq.ann');
    expect(deadLetterSubject('out.dlq', customerToken(ESCAPED))).toBe('out.dlq.ann%20lee%40example%2Ecom');
    expect(UNKNOWN_CUSTOMER_TOKEN).toBe('$unknown');
    for (const bad of [undefined, '', 'a.b', '*', '>', '%41', '$unknown', '$clock', 'a b']) {
      expect(deadLetterSubject('out.dlq', bad)).toBe('out.dlq.$unknown');
    }
  });

  it('$unknown is no customer token: customerToken escapes $', () => {
    expect(customerToken('$unknown')).toBe('%24unknown');
    expect(customerToken('_unknown')).toBe('_unknown');
  });
});

describe('subjectCovers (which subjects a dead-letter stream still needs)', () => {
  it.each([
    ['out.dlq', 'out.dlq', true],
    ['out.dlq', 'out.dlq.>', false],
    ['out.dlq.>', 'out.dlq', false],
    ['out.dlq.>', 'out.dlq.>', true],
    ['out.>', 'out.dlq.>', true],
    ['out.>', 'out.dlq', true],
    ['>', 'out.dlq.>', true],
    ['out.*', 'out.dlq', true],
    ['out.*.>', 'out.dlq.>', true],
    ['out.dlq.*', 'out.dlq.>', false],
    ['other.>', 'out.dlq.>', false],
  ])('%s covers %s: %s', (pattern, subject, covered) => {
    expect(subjectCovers(pattern, subject)).toBe(covered);
  });
});
