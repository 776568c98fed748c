import { describe, expect, it } from 'vitest';
import { encode as packOther } from '@msgpack/msgpack';
import { decodePayload, encodePayload, encodingOf, sniffEncoding } from '../../src/client/codec.js';

const value = { customerId: 'ann@example.com', seq: 1_795_519_990_000_007, churnRisk: 0.083 };

describe('client codec', () => {
  it('reads the encoding from the Content-Type, any case and with parameters', () => {
    expect(encodingOf('application/json; charset=utf-8')).toBe('json');
    expect(encodingOf('Application/X-MsgPack')).toBe('msgpack');
    expect(encodingOf(undefined)).toBe('sniff');
    expect(encodingOf('  ')).toBe('sniff');
    expect(encodingOf('text/plain')).toBeUndefined();
  });

  it('sniffs JSON by its first non-blank byte and MessagePack maps otherwise', () => {
    expect(sniffEncoding(new TextEncoder().encode(' \n{"a":1}'))).toBe('json');
    expect(sniffEncoding(encodePayload(value, 'msgpack'))).toBe('msgpack');
    // A 16+ field map starts with 0xde: still MessagePack.
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    expect(sniffEncoding(encodePayload(wide, 'msgpack'))).toBe('msgpack');
  });

  it('decodes both encodings with and without a header, a 64-bit seq exactly', () => {
    for (const encoding of ['json', 'msgpack'] as const) {
      const data = encodePayload(value, encoding);
      expect(decodePayload(data, undefined)).toEqual({ ok: true, encoding, value });
      expect(decodePayload(data, encoding === 'json' ? 'application/json' : 'application/msgpack')).toEqual({
        ok: true,
        encoding,
        value,
      });
    }
    // Another library's uint64 encoding of the seq reads back as the same number.
    expect(decodePayload(packOther(value, { forceIntegerToFloat: false }), undefined)).toMatchObject({
      value,
    });
  });

  it('returns a bad payload as a value, never a throw', () => {
    expect(decodePayload(new Uint8Array([0x82, 0xa1]), 'application/msgpack')).toMatchObject({
      ok: false,
      reason: 'undecodable',
    });
    expect(decodePayload(new Uint8Array([0x7b, 0xff]), undefined)).toMatchObject({
      ok: false,
      reason: 'undecodable',
    });
    expect(decodePayload(new Uint8Array([1]), 'text/plain')).toMatchObject({
      ok: false,
      reason: 'unsupported_content_type',
    });
  });
});
