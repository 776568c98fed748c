import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODE_OPTIONS, decodeBatch, payloadEncoding } from '../../src/decode/index.js';
import { NOW, batchOf, json, message, msgpack, subjectOf, validEvent } from './messages.js';

describe('payloadEncoding', () => {
  it.each([
    [undefined, 'msgpack'],
    ['', 'msgpack'],
    ['application/msgpack', 'msgpack'],
    ['application/x-msgpack', 'msgpack'],
    ['Application/MsgPack', 'msgpack'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['APPLICATION/JSON;charset=UTF-8', 'json'],
    ['  application/json  ', 'json'],
    ['text/plain', undefined],
    ['application/jsonx', undefined],
    ['application/vnd.api+json', undefined],
    ['application/cbor', undefined],
    ['; charset=utf-8', undefined],
  ] as const)('%j -> %s', (header, expected) => {
    expect(payloadEncoding(header)).toBe(expected);
  });
});

describe('decodeBatch reads the payload by its Content-Type', () => {
  const event = validEvent(3);
  const subject = subjectOf(event);

  it.each([
    ['no header, MessagePack', msgpack(event), undefined],
    ['application/msgpack', msgpack(event), 'application/msgpack'],
    ['application/x-msgpack', msgpack(event), 'application/x-msgpack'],
    ['application/json', json(event), 'application/json'],
    ['application/json; charset=utf-8', json(event), 'application/json; charset=utf-8'],
    ['JSON with a byte-order mark', new Uint8Array([0xef, 0xbb, 0xbf, ...json(event)]), 'application/json'],
  ] as const)('%s', (_name, data, contentType) => {
    const out = decodeBatch(batchOf([message(data, subject, 1, contentType)]), DEFAULT_DECODE_OPTIONS, NOW);
    expect(out.rejected).toEqual([]);
    expect(out.events.map((e) => e.event)).toEqual([event]);
  });

  it('JSON bytes without a header are read as MessagePack and refused', () => {
    const out = decodeBatch(batchOf([message(json(event), subject, 1)]), DEFAULT_DECODE_OPTIONS, NOW);
    expect(out.events).toEqual([]);
    // A JSON text starts with '{' (0x7b), a positive fixint in MessagePack: one value, then trailing bytes.
    expect(out.rejected.map((r) => r.reason)).toEqual(['undecodable']);
  });

  it('MessagePack bytes declared as JSON are refused as undecodable', () => {
    const out = decodeBatch(
      batchOf([message(msgpack(event), subject, 1, 'application/json')]),
      DEFAULT_DECODE_OPTIONS,
      NOW,
    );
    expect(out.rejected.map((r) => r.reason)).toEqual(['undecodable']);
  });
});

describe('decodeBatch keeps the Content-Type on events and rejections', () => {
  const event = validEvent(3);
  const subject = subjectOf(event);

  it('carries each event’s header verbatim, and none when there was none', () => {
    const out = decodeBatch(
      batchOf([
        message(msgpack(event), subject, 1),
        message(json(event), subject, 2, 'application/json'),
        message(json(event), subject, 3, 'APPLICATION/JSON; charset=UTF-8'),
        message(msgpack(event), subject, 4, 'application/x-msgpack'),
      ]),
      DEFAULT_DECODE_OPTIONS,
      NOW,
    );
    expect(out.rejected).toEqual([]);
    expect(out.events.map((e) => e.contentType)).toEqual([
      undefined,
      'application/json',
      'APPLICATION/JSON; charset=UTF-8',
      'application/x-msgpack',
    ]);
  });

  it('carries it on rejections of every stage of decoding', () => {
    const bad = { ...event, value: -1 };
    const out = decodeBatch(
      batchOf([
        message(json(event), subject, 1, 'text/plain'),
        message(json('{"customerId":'), subject, 2, 'application/json'),
        message(json(bad), subject, 3, 'application/json; charset=utf-8'),
        message(msgpack(bad), subject, 4),
        message(msgpack(bad), subject, 5, 'application/msgpack'),
        message(new Uint8Array(70_000), subject, 6, 'application/json'),
      ]),
      DEFAULT_DECODE_OPTIONS,
      NOW,
    );
    expect(out.events).toEqual([]);
    expect(out.rejected.map((r) => [r.reason, r.contentType])).toEqual([
      ['unsupported_content_type', 'text/plain'],
      ['undecodable', 'application/json'],
      ['out_of_range', 'application/json; charset=utf-8'],
      ['out_of_range', undefined],
      ['out_of_range', 'application/msgpack'],
      ['payload_too_large', 'application/json'],
    ]);
  });
});
