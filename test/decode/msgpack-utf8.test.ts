import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODE_OPTIONS, decodeBatch } from '../../src/decode/index.js';
import {
  STRINGS_UNVERIFIED,
  STRINGS_VALID,
  firstInvalidString,
  hasReplacementChar,
  isWellFormedUtf8,
} from '../../src/decode/msgpack-strings.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { NOW, batchOf, json, message, msgpack } from './messages.js';

const utf8 = new TextEncoder();
const fatal = new TextDecoder('utf-8', { fatal: true });

/** A MessagePack string of raw bytes (str 8/16/32 by length, fixstr below 32), whatever the bytes are. */
function str(bytes: ArrayLike<number>): number[] {
  const n = bytes.length;
  const head =
    n < 32
      ? [0xa0 | n]
      : n < 256
        ? [0xd9, n]
        : n < 65_536
          ? [0xda, n >> 8, n & 255]
          : [0xdb, 0, n >> 16, (n >> 8) & 255, n & 255];
  return [...head, ...Array.from(bytes)];
}
const s = (text: string): number[] => str(utf8.encode(text));

/** {customerId: <raw bytes>, type: 'page_view', ts: NOW} as MessagePack, with extra entries appended. */
function eventWithId(idBytes: ArrayLike<number>, extra: number[][] = []): Uint8Array {
  const ts = [0xcb, ...new Uint8Array(new Float64Array([NOW - 1]).buffer).reverse()];
  return new Uint8Array([
    0x83 + extra.length / 2,
    ...s('customerId'),
    ...str(idBytes),
    ...s('type'),
    ...s('page_view'),
    ...s('ts'),
    ...ts,
    ...extra.flat(),
  ]);
}

function decodeOne(data: Uint8Array, subject: string, contentType?: string) {
  return decodeBatch(batchOf([message(data, subject, 1, contentType)]), DEFAULT_DECODE_OPTIONS, NOW);
}

describe('MessagePack strings must be valid UTF-8, as JSON', () => {
  it('refuses a customerId with invalid UTF-8 as undecodable (msgpackr alone would accept it with U+FFFD)', () => {
    // The reproduction: "a\xff" and "a\xfe" must not both become the customer "a\uFFFD".
    for (const bad of [
      [0x61, 0xff],
      [0x61, 0xfe],
    ]) {
      const out = decodeOne(eventWithId(bad), eventSubject('events', 'a\uFFFD', 'page_view'));
      expect(out.events).toEqual([]);
      expect(out.rejected.map((r) => r.reason)).toEqual(['undecodable']);
      expect(out.rejected[0]!.detail).toMatch(
        /not valid MessagePack \(the string at byte \d+ is not valid UTF-8\)/,
      );
    }
    // JSON says the same of the same bytes.
    const fromJson = new Uint8Array([
      ...utf8.encode('{"customerId":"a'),
      0xff,
      ...utf8.encode('","type":"page_view","ts":1}'),
    ]);
    expect(decodeOne(fromJson, 'events.a.page_view', 'application/json').rejected[0]!.reason).toBe(
      'undecodable',
    );
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['a surrogate', [0xed, 0xa0, 0x80]],
    ['a cut 3-byte form', [0xe2, 0x82]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['0xff', [0xff]],
  ])(
    'refuses %s in a str8, str16 and str32 id, in a props key and value, and in an unknown field',
    (_n, bad) => {
      const long = (n: number) => [...Array<number>(n).fill(0x61), ...bad];
      const cases = [
        eventWithId(long(40)),
        eventWithId(long(300)),
        eventWithId(long(70_000)),
        eventWithId([0x61], [s('props'), [0x81, ...str([0x6b, ...bad]), 0x01]]),
        eventWithId([0x61], [s('props'), [0x81, ...s('k'), ...str(bad)]]),
        eventWithId([0x61], [str([0x78, ...bad]), [0xc3]]),
      ];
      for (const data of cases) {
        const out = decodeBatch(
          batchOf([message(data, 'events.a.page_view', 1)]),
          { ...DEFAULT_DECODE_OPTIONS, maxPayloadBytes: 1 << 20 },
          NOW,
        );
        expect(out.rejected.map((r) => r.reason)).toEqual(['undecodable']);
      }
    },
  );

  it('accepts U+FFFD written as valid UTF-8 (EF BF BD) in ids, props keys and values, as JSON does', () => {
    const event = {
      customerId: 'a\uFFFD',
      id: '\uFFFD\uFFFD',
      type: 'page_view',
      ts: NOW - 1,
      props: { 'k\uFFFD': 'v\uFFFD', plain: 'x' },
    };
    const subject = eventSubject('events', event.customerId, event.type);
    for (const m of [
      message(msgpack(event), subject, 1),
      message(json(event), subject, 2, 'application/json'),
    ]) {
      const out = decodeBatch(batchOf([m]), DEFAULT_DECODE_OPTIONS, NOW);
      expect(out.rejected).toEqual([]);
      expect(out.events[0]!.event).toMatchObject(event);
    }
  });

  it('bin bytes are not text: invalid UTF-8 inside bin is not a string problem', () => {
    const data = eventWithId([0x61], [s('blob'), [0xc4, 2, 0xff, 0xfe]]);
    expect(decodeOne(data, 'events.a.page_view').events).toHaveLength(1);
  });

  it('with msgpackr extension types, U+FFFD anywhere is refused (the bytes cannot be matched), none is fine', () => {
    const extended = new Packr({ useRecords: false, moreTypes: true });
    const withSet = (customerId: string) =>
      extended.pack({ customerId, type: 'page_view', ts: NOW - 1, tags: new Set([1]) });
    expect(decodeOne(withSet('a'), 'events.a.page_view').events).toHaveLength(1);
    const out = decodeOne(withSet('a\uFFFD'), eventSubject('events', 'a\uFFFD', 'page_view'));
    expect(out.rejected[0]!.reason).toBe('undecodable');
  });
});

describe('the UTF-8 walk', () => {
  it('agrees with a fatal TextDecoder on any bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.string({ unit: 'binary', maxLength: 32 }).map((t) => utf8.encode(t)),
          // Valid text with one byte changed: the near misses.
          fc
            .tuple(
              fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
              fc.nat(),
              fc.integer({ min: 0, max: 255 }),
            )
            .map(([t, at, b]) => {
              const bytes = utf8.encode(t);
              bytes[at % bytes.length] = b;
              return bytes;
            }),
        ),
        (bytes) => {
          let expected = true;
          try {
            fatal.decode(bytes);
          } catch {
            expected = false;
          }
          expect(isWellFormedUtf8(bytes, 0, bytes.length)).toBe(expected);
          // The same verdict through the MessagePack walk of a one-string payload.
          const walked = firstInvalidString(new Uint8Array(str(bytes)));
          expect(walked === STRINGS_VALID).toBe(expected);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('finds every string msgpackr writes valid, at any nesting, and stops at extensions', () => {
    const packr = new Packr({ useRecords: false });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        expect(firstInvalidString(packr.pack(v))).toBe(STRINGS_VALID);
      }),
      { numRuns: 2_000 },
    );
    const deep = new Uint8Array(60_001).fill(0x91);
    deep[60_000] = 0x01;
    expect(firstInvalidString(deep)).toBe(STRINGS_VALID);
    expect(firstInvalidString(new Uint8Array([0x92, 0xd4, 0x00, 0x00, 0xa1, 0xff]))).toBe(STRINGS_UNVERIFIED);
    expect(firstInvalidString(new Uint8Array([0x92, 0xa1, 0xff, 0xd4, 0x00, 0x00]))).toBe(2);
  });

  it('hasReplacementChar looks through maps, sets, arrays and cycles', () => {
    const cyclic: Record<string, unknown> = { a: 'x' };
    cyclic['self'] = cyclic;
    expect(hasReplacementChar(cyclic)).toBe(false);
    expect(hasReplacementChar(new Map([['k', new Set(['\uFFFD'])]]))).toBe(true);
    expect(hasReplacementChar({ ['\uFFFD']: 1 })).toBe(true);
    expect(hasReplacementChar(new Uint8Array([0xef, 0xbf, 0xbd]))).toBe(false);
  });
});
