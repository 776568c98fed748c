import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODE_OPTIONS, decodeBatch } from '../../src/decode/index.js';
import { NOW, batchOf, message, msgpack } from './messages.js';

const ascii = new TextEncoder();

/** A MessagePack map {customerId, type, ts} with ts written as a 64-bit integer of the given marker. */
/** A MessagePack fixstr (ASCII, under 32 bytes). */
const str = (s: string): number[] => [0xa0 | s.length, ...ascii.encode(s)];

function withInt64Ts(marker: 0xcf | 0xd3, ts: bigint): Uint8Array {
  const ts64 = new Uint8Array(9);
  ts64[0] = marker;
  new DataView(ts64.buffer).setBigUint64(1, BigInt.asUintN(64, ts));
  return new Uint8Array([
    0x83,
    ...str('customerId'),
    ...str('c1'),
    ...str('type'),
    ...str('app_open'),
    ...str('ts'),
    ...ts64,
  ]);
}

describe('MessagePack decoding', () => {
  it.each([
    ['uint64', 0xcf],
    ['int64', 0xd3],
  ] as const)('reads a %s epoch-ms ts as a number', (_name, marker) => {
    const data = withInt64Ts(marker, BigInt(NOW - 42));
    const out = decodeBatch(batchOf([message(data, 'events.c1.app_open', 7)]), DEFAULT_DECODE_OPTIONS, NOW);
    expect(out.rejected).toEqual([]);
    expect(out.events[0]!.event.ts).toBe(NOW - 42);
    expect(typeof out.events[0]!.event.ts).toBe('number');
  });

  it('a negative int64 ts is out_of_range, not a BigInt type error', () => {
    const data = withInt64Ts(0xd3, -5n);
    const out = decodeBatch(batchOf([message(data, 'events.c1.app_open', 1)]), DEFAULT_DECODE_OPTIONS, NOW);
    expect(out.rejected.map((r) => r.reason)).toEqual(['out_of_range']);
  });

  it('drops unknown top-level fields and keeps the known ones', () => {
    const sent = {
      id: 'e-1',
      customerId: 'c1',
      type: 'message_open',
      ts: NOW - 10,
      channel: 'sms',
      props: { campaign: 'spring', step: 2, vip: false },
      producer: 'crm',
      nested: { deep: [1, 2] },
    };
    const out = decodeBatch(
      batchOf([message(msgpack(sent), 'events.c1.message_open', 1)]),
      DEFAULT_DECODE_OPTIONS,
      NOW,
    );
    const { event } = out.events[0]!;
    expect(Object.keys(event).sort()).toEqual([
      'channel',
      'customerId',
      'id',
      'props',
      'ts',
      'type',
      'value',
    ]);
    expect(event).toEqual({
      id: 'e-1',
      customerId: 'c1',
      type: 'message_open',
      ts: NOW - 10,
      channel: 'sms',
      props: { campaign: 'spring', step: 2, vip: false },
    });
  });

  it('carries the message position and bytes with the event', () => {
    const sent = { customerId: 'c1', type: 'app_open', ts: NOW };
    const m = message(msgpack(sent), 'events.c1.app_open', 99);
    const out = decodeBatch(batchOf([m]), DEFAULT_DECODE_OPTIONS, NOW);
    expect(out.events[0]).toMatchObject({
      subject: m.subject,
      streamSeq: 99,
      publishedAtMs: m.publishedAtMs,
    });
    expect(out.events[0]!.data).toBe(m.data);
  });

  it('a props key __proto__ holding a map is refused as nested props, prototypes untouched', () => {
    // Written by hand: no encoder writes a __proto__ own key from a JS object literal.
    const head = withInt64Ts(0xcf, BigInt(NOW));
    const proto = [0x81, ...str('__proto__'), 0x81, ...str('polluted'), 0xc3];
    const data = new Uint8Array([0x84, ...head.subarray(1), ...str('props'), ...proto]);
    const fromJson = ascii.encode(
      `{"customerId":"c1","type":"app_open","ts":${NOW},"props":{"__proto__":{"polluted":true}}}`,
    );
    const out = decodeBatch(
      batchOf([
        message(data, 'events.c1.app_open', 1),
        message(fromJson, 'events.c1.app_open', 2, 'application/json'),
      ]),
      DEFAULT_DECODE_OPTIONS,
      NOW,
    );
    expect(out.rejected.map((r) => r.reason)).toEqual(['invalid_props', 'invalid_props']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses props decoded from msgpackr extension types (Set, Date, Error) as invalid_props', () => {
    const extended = new Packr({ useRecords: false, moreTypes: true });
    const messages = [new Set([1]), new Date(NOW), new Error('x')].map((props, i) =>
      message(
        extended.pack({ customerId: 'c1', type: 'app_open', ts: NOW, props }),
        'events.c1.app_open',
        i + 1,
      ),
    );
    const out = decodeBatch(batchOf(messages), DEFAULT_DECODE_OPTIONS, NOW);
    expect(out.rejected.map((r) => r.reason)).toEqual(['invalid_props', 'invalid_props', 'invalid_props']);
  });

  it('empty batches give empty results', () => {
    const batch = batchOf([]);
    const out = decodeBatch(batch, DEFAULT_DECODE_OPTIONS, NOW);
    expect(out).toEqual({ events: [], rejected: [], ticks: [], source: batch });
  });
});
