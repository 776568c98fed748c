import { describe, expect, it } from 'vitest';
import { DLQ_REASONS, type DlqReason } from '../../src/contract/codes.js';
import { DEFAULT_DECODE_OPTIONS, decodeBatch } from '../../src/decode/index.js';
import type { InboundMessage } from '../../src/ingest/types.js';
import { customerToken, eventSubject } from '../../src/contract/subjects.js';
import { partitionOfToken } from '../../src/partitions/index.js';
import { NOW, batchOf, json, message, msgpack, subjectOf, validEvent, validMessage } from './messages.js';

interface Case {
  readonly name: string;
  readonly reason: DlqReason;
  /** A word the detail must contain (the field or value it names). */
  readonly detail: string;
  readonly message: (streamSeq: number) => InboundMessage;
}

const base = { customerId: 'bad1', type: 'page_view', ts: NOW - 1 };
const on = (event: Record<string, unknown>) => subjectOf(event);
const mp =
  (event: Record<string, unknown>, subject = on(event)) =>
  (seq: number) =>
    message(msgpack(event), subject, seq);
const js =
  (text: string, subject = on(base)) =>
  (seq: number) =>
    message(json(text), subject, seq, 'application/json');

const cases: Case[] = [
  {
    name: 'truncated MessagePack',
    reason: 'undecodable',
    detail: 'MessagePack',
    message: (seq) => message(msgpack(base).subarray(0, 9), on(base), seq),
  },
  {
    name: 'trailing bytes after MessagePack',
    reason: 'undecodable',
    detail: 'MessagePack',
    message: (seq) => message(new Uint8Array([...msgpack(base), 0xc0]), on(base), seq),
  },
  {
    name: 'empty payload',
    reason: 'undecodable',
    detail: 'MessagePack',
    message: (seq) => message(new Uint8Array(0), on(base), seq),
  },
  { name: 'invalid JSON', reason: 'undecodable', detail: 'JSON', message: js('{"customerId": "bad1",') },
  {
    name: 'invalid UTF-8 in JSON',
    reason: 'undecodable',
    detail: 'JSON',
    message: (seq) => message(new Uint8Array([0x22, 0xff, 0x22]), on(base), seq, 'application/json'),
  },
  {
    name: 'text/plain',
    reason: 'unsupported_content_type',
    detail: 'text/plain',
    message: (seq) => message(json(base), on(base), seq, 'text/plain'),
  },
  {
    name: 'application/cbor',
    reason: 'unsupported_content_type',
    detail: 'cbor',
    message: (seq) => message(msgpack(base), on(base), seq, 'application/cbor'),
  },
  {
    name: 'payload over 64 KiB',
    reason: 'payload_too_large',
    detail: 'bytes',
    message: mp({ ...base, note: 'x'.repeat(70_000) }),
  },
  {
    name: 'MessagePack array',
    reason: 'not_an_object',
    detail: 'array',
    message: mp([base] as unknown as Record<string, unknown>, on(base)),
  },
  { name: 'JSON number', reason: 'not_an_object', detail: '42', message: js('42') },
  { name: 'JSON null', reason: 'not_an_object', detail: 'null', message: js('null') },
  {
    name: 'no ts',
    reason: 'missing_field',
    detail: 'ts',
    message: mp({ customerId: 'bad1', type: 'page_view' }),
  },
  {
    name: 'no customerId',
    reason: 'missing_field',
    detail: 'customerId',
    message: mp({ type: 'page_view', ts: NOW }, 'events.bad1.page_view'),
  },
  {
    name: 'purchase without value',
    reason: 'missing_field',
    detail: 'value',
    message: mp({ ...base, type: 'purchase' }),
  },
  {
    name: 'ts as a string',
    reason: 'wrong_type',
    detail: 'ts',
    message: mp({ ...base, ts: '2025-10-09T00:00:00Z' }),
  },
  {
    name: 'customerId as a number',
    reason: 'wrong_type',
    detail: 'customerId',
    message: mp({ ...base, customerId: 7 }, 'events.7.page_view'),
  },
  {
    name: 'value null',
    reason: 'wrong_type',
    detail: 'value',
    message: js('{"customerId":"bad1","type":"page_view","ts":1,"value":null}'),
  },
  {
    name: 'ts 1e999 in JSON',
    reason: 'non_finite_number',
    detail: 'ts',
    message: js('{"customerId":"bad1","type":"page_view","ts":1e999}'),
  },
  {
    name: 'value NaN in MessagePack',
    reason: 'non_finite_number',
    detail: 'value',
    message: mp({ ...base, type: 'session', value: NaN }, 'events.bad1.session'),
  },
  {
    name: 'props number -Infinity',
    reason: 'non_finite_number',
    detail: 'props',
    message: mp({ ...base, props: { n: -Infinity } }),
  },
  { name: 'nps 11', reason: 'out_of_range', detail: 'nps', message: mp({ ...base, type: 'nps', value: 11 }) },
  {
    name: 'csat 0',
    reason: 'out_of_range',
    detail: 'csat',
    message: mp({ ...base, type: 'csat', value: 0 }),
  },
  {
    name: 'negative purchase',
    reason: 'out_of_range',
    detail: 'purchase',
    message: mp({ ...base, type: 'purchase', value: -5 }),
  },
  { name: 'negative ts', reason: 'out_of_range', detail: 'ts', message: mp({ ...base, ts: -1 }) },
  {
    name: 'empty customerId',
    reason: 'invalid_customer_id',
    detail: 'customerId',
    message: mp({ ...base, customerId: '' }, 'events.x.page_view'),
  },
  {
    name: '129-character customerId',
    reason: 'invalid_customer_id',
    detail: '129',
    message: mp({ ...base, customerId: 'c'.repeat(129) }),
  },
  {
    name: 'customerId with a lone surrogate',
    reason: 'invalid_customer_id',
    detail: 'customerId',
    message: js('{"customerId":"a\\ud800b","type":"page_view","ts":1}', 'events.a%EF%BF%BDb.page_view'),
  },
  { name: 'empty event id', reason: 'invalid_event_id', detail: 'id', message: mp({ ...base, id: '' }) },
  {
    name: 'upper-case type',
    reason: 'invalid_type',
    detail: 'Purchase',
    message: mp({ ...base, type: 'Purchase' }, 'events.bad1.Purchase'),
  },
  {
    name: 'unknown channel',
    reason: 'invalid_channel',
    detail: 'fax',
    message: mp({ ...base, channel: 'fax' }),
  },
  {
    name: 'nested props',
    reason: 'invalid_props',
    detail: 'props',
    message: mp({ ...base, props: { a: { b: 1 } } }),
  },
  {
    name: 'props key with a newline hiding a nested value',
    reason: 'invalid_props',
    detail: 'props',
    message: mp({ ...base, props: { 'a\nb': { b: 1 } } }),
  },
  {
    name: 'props key of 65 characters',
    reason: 'invalid_props',
    detail: 'props',
    message: mp({ ...base, props: { ['k'.repeat(65)]: 1 } }),
  },
  {
    name: '33 props',
    reason: 'invalid_props',
    detail: '33',
    message: mp({ ...base, props: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }),
  },
  {
    name: 'subject with an extra token',
    reason: 'invalid_subject',
    detail: 'subject',
    message: mp(base, 'events.bad1.x.page_view'),
  },
  {
    name: 'non-canonical customer token',
    reason: 'invalid_subject',
    detail: '%41',
    message: mp({ ...base, customerId: 'A' }, 'events.%41.page_view'),
  },
  {
    name: 'another prefix',
    reason: 'invalid_subject',
    detail: 'subject',
    message: mp(base, 'other.bad1.page_view'),
  },
  {
    name: 'other customer in subject',
    reason: 'subject_mismatch',
    detail: 'customer',
    message: mp(base, 'events.bad2.page_view'),
  },
  {
    name: 'other type in subject',
    reason: 'subject_mismatch',
    detail: 'type',
    message: mp(base, 'events.bad1.purchase'),
  },
  {
    name: 'ts 5 minutes and 1 ms ahead',
    reason: 'too_far_in_future',
    detail: 'ts',
    message: mp({ ...base, ts: NOW + 300_001 }),
  },
];

describe('decodeBatch dead-letters each kind of bad input and keeps the valid events around it', () => {
  it.each(cases.map((c) => [c.reason, c.name, c] as const))('%s: %s', (_reason, _name, c) => {
    const bad = c.message(3);
    const batch = batchOf([
      validMessage(1, 1),
      validMessage(2, 2),
      bad,
      validMessage(3, 4),
      validMessage(4, 5),
    ]);
    const out = decodeBatch(batch, DEFAULT_DECODE_OPTIONS, NOW);

    expect(out.rejected).toHaveLength(1);
    const rejection = out.rejected[0]!;
    expect(rejection.reason).toBe(c.reason);
    expect(rejection.detail).toContain(c.detail);
    expect(rejection.detail).toMatch(/^[\x20-\x7e]+$/);
    expect(rejection.subject).toBe(bad.subject);
    expect(rejection.data).toBe(bad.data);
    expect(rejection.streamSeq).toBe(3);

    expect(out.events.map((e) => e.streamSeq)).toEqual([1, 2, 4, 5]);
    expect(out.events.map((e) => e.event.customerId)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(out.source).toBe(batch);
  });

  it('covers every reason decided at decode time (too_old is the state stage’s, wrong_partition below)', () => {
    const covered = new Set(cases.map((c) => c.reason));
    const expected = Object.keys(DLQ_REASONS).filter((r) => r !== 'too_old' && r !== 'wrong_partition');
    expect([...covered].sort()).toEqual(expected.sort());
  });
});

describe('decodeBatch of one partition (pevents.<p>, P = 4)', () => {
  const P = 4;
  const optionsOf = (p: number) => ({
    ...DEFAULT_DECODE_OPTIONS,
    subjectPrefix: `pevents.${p}`,
    partition: { index: p, count: P },
  });
  const ids = Array.from({ length: 64 }, (_, i) => `cust-${i}@example.com`);

  it('takes the customers whose token hashes to it and dead-letters the others as wrong_partition', () => {
    for (let p = 0; p < P; p++) {
      const messages = ids.map((customerId, i) => {
        const event = { ...base, customerId };
        return message(msgpack(event), eventSubject(`pevents.${p}`, customerId, event.type), i + 1);
      });
      const out = decodeBatch(batchOf(messages), optionsOf(p), NOW);
      const mine = ids.filter((id) => partitionOfToken(customerToken(id), P) === p);
      expect(mine.length).toBeGreaterThan(0);
      expect(out.events.map((e) => e.event.customerId)).toEqual(mine);
      expect(out.rejected).toHaveLength(ids.length - mine.length);
      for (const r of out.rejected) {
        expect(r.reason).toBe('wrong_partition');
        expect(r.detail).toContain(`not ${p}`);
      }
    }
  });

  it('reads its own clock ticks and not another partition’s', () => {
    const tick = (p: number, seq: number) =>
      message(json({ ts: NOW - 10 }), `pevents.${p}.$clock.tick`, seq, 'application/json');
    const out = decodeBatch(batchOf([tick(2, 1)]), optionsOf(2), NOW);
    expect(out.rejected).toEqual([]);
    expect(out.ticks).toHaveLength(1);
    expect(decodeBatch(batchOf([tick(3, 1)]), optionsOf(2), NOW).ticks ?? []).toEqual([]);
  });
});

describe('decodeBatch boundaries that are still valid', () => {
  const accepted: [string, Record<string, unknown>][] = [
    ['ts exactly maxFutureMs ahead', { ...base, ts: NOW + 300_000 }],
    ['128-character customerId', { ...base, customerId: 'c'.repeat(128) }],
    ['emoji and dots in customerId', { ...base, customerId: 'ann.lee@example.com 😀' }],
    ['nps 0 and 10', { ...base, type: 'nps', value: 10 }],
    ['refund of 0', { ...base, type: 'refund', value: 0 }],
    ['custom type without value', { ...base, type: 'webinar_attended' }],
    ['custom type named like an Object.prototype member', { ...base, type: 'constructor', value: -1e9 }],
    ['custom type __proto__', { ...base, type: '__proto__', value: 42 }],
    [
      '32 flat props',
      {
        ...base,
        props: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i % 2 ? 'v' : true])),
      },
    ],
    ['negative value on a type that allows it', { ...base, type: 'search', value: -3 }],
  ];
  it.each(accepted)('%s', (_name, event) => {
    const out = decodeBatch(batchOf([message(msgpack(event), on(event), 9)]), DEFAULT_DECODE_OPTIONS, NOW);
    expect(out.rejected).toEqual([]);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]!.event).toEqual(event);
  });

  it('a payload of exactly maxPayloadBytes is decoded', () => {
    const event = validEvent(1);
    const size = msgpack(event).byteLength;
    const out = decodeBatch(
      batchOf([validMessage(1, 1)]),
      { ...DEFAULT_DECODE_OPTIONS, maxPayloadBytes: size },
      NOW,
    );
    expect(out.events).toHaveLength(1);
    const smaller = decodeBatch(
      batchOf([validMessage(1, 1)]),
      { ...DEFAULT_DECODE_OPTIONS, maxPayloadBytes: size - 1 },
      NOW,
    );
    expect(smaller.rejected.map((r) => r.reason)).toEqual(['payload_too_large']);
  });
});
