/**
 * fast-check arbitraries of hostile inbound messages: every one is refused by the decode stage (or by the state
 * for `too_old`), whatever the draw. The property test over decodeBatch and the end-to-end flood share them.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';

/** The attacks, by name. */
export type HostileKind =
  | 'random_bytes'
  | 'truncated_msgpack'
  | 'deep_nesting'
  | 'huge_string'
  | 'oversized'
  | 'prototype_keys'
  | 'non_finite'
  | 'number_as_string'
  | 'wild_timestamp'
  | 'bad_id'
  | 'bad_subject'
  | 'invalid_utf8'
  | 'bad_content_type';

/** One message as a producer (or an attacker) publishes it. */
export interface HostileMessage {
  readonly kind: HostileKind;
  readonly subject: string;
  readonly data: Uint8Array;
  /** The Content-Type header; none means MessagePack. */
  readonly contentType?: string;
}

/** Where and when the messages are aimed. */
export interface HostileOptions {
  /** The event subject prefix. */
  readonly prefix: string;
  /** An epoch-ms "now" no later than when the messages are stored. */
  readonly nowMs: number;
  /** ingest.maxPayloadBytes of the decoder under test. */
  readonly maxPayloadBytes: number;
  /** Deepest nesting and longest string drawn (default 60,000 and 20,000). */
  readonly maxDepth?: number;
  readonly maxStringLength?: number;
}

const packr = new Packr({ useRecords: false });
const utf8 = new TextEncoder();
const JSON_TYPE = 'application/json';

const concat = (...parts: ArrayLike<number>[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** A MessagePack str header for `n` bytes. */
const strHead = (n: number): number[] =>
  n < 32 ? [0xa0 | n] : n < 256 ? [0xd9, n] : [0xda, n >> 8, n & 255];
const mpStr = (bytes: ArrayLike<number>): Uint8Array => concat(strHead(bytes.length), bytes);
const mpText = (s: string): Uint8Array => mpStr(utf8.encode(s));

/**
 * Hostile messages of every kind, each refused whatever the draw: the decoder names a reason for it. Customers
 * are `h<n>` so they never collide with valid traffic on `v<n>`.
 */
export function hostileMessageArb(o: HostileOptions): fc.Arbitrary<HostileMessage> {
  const { prefix, nowMs } = o;
  const id = fc.nat(99_999).map((n) => `h${n}`);
  const on = (customer: string, type = 'page_view') => eventSubject(prefix, customer, type);
  const base = (customerId: string) => ({ customerId, type: 'page_view', ts: nowMs - 1_000 });
  const mp = (kind: HostileKind, customerId: string, payload: unknown, subject = on(customerId)) => ({
    kind,
    subject,
    data: packr.pack(payload),
  });
  const js = (kind: HostileKind, customerId: string, text: string, subject = on(customerId)) => ({
    kind,
    subject,
    data: utf8.encode(text),
    contentType: JSON_TYPE,
  });

  const randomBytes = fc
    .tuple(id, fc.uint8Array({ maxLength: 300 }), fc.boolean())
    .map(([c, bytes, asJson]) => ({
      kind: 'random_bytes' as const,
      subject: on(c),
      // A leading 0xc1 (never used in MessagePack, not JSON either): random, yet certainly undecodable.
      data: concat([0xc1], bytes),
      ...(asJson ? { contentType: JSON_TYPE } : {}),
    }));
  const truncated = fc.tuple(id, fc.double({ min: 0, max: 0.999 })).map(([c, cut]) => {
    const whole = packr.pack({ ...base(c), value: 1, channel: 'web', props: { a: 'b' } });
    return {
      kind: 'truncated_msgpack' as const,
      subject: on(c),
      data: whole.subarray(0, Math.floor(cut * whole.length)),
    };
  });
  const deep = fc
    .tuple(id, fc.integer({ min: 100, max: o.maxDepth ?? 60_000 }), fc.nat(2))
    .map(([c, depth, how]) => {
      if (how === 0)
        return {
          kind: 'deep_nesting' as const,
          subject: on(c),
          data: concat(new Uint8Array(depth).fill(0x91), [0x01]),
        };
      if (how === 1) return js('deep_nesting', c, '['.repeat(depth) + ']'.repeat(depth));
      let props: unknown = 1;
      for (let i = 0; i < Math.min(depth, 500); i++) props = { a: props };
      return mp('deep_nesting', c, { ...base(c), props });
    });
  const huge = fc
    .tuple(
      id,
      fc.integer({ min: 129, max: o.maxStringLength ?? 20_000 }),
      fc.constantFrom('customerId', 'id', 'type', 'prop'),
    )
    .map(([c, n, field]) => {
      const s = 'x'.repeat(n);
      if (field === 'customerId') return mp('huge_string', c, { ...base(c), customerId: s }, on(c));
      if (field === 'type') return mp('huge_string', c, { ...base(c), type: s }, on(c));
      if (field === 'id') return mp('huge_string', c, { ...base(c), id: s });
      return mp('huge_string', c, { ...base(c), props: { k: 'y'.repeat(Math.max(257, n)) } });
    });
  const oversized = fc
    .tuple(id, fc.integer({ min: o.maxPayloadBytes + 1, max: o.maxPayloadBytes + 4_096 }))
    .map(([c, n]) => {
      const event = packr.pack(base(c));
      // A valid event padded past the limit with an ignored field: the size alone refuses it.
      const pad = 'p'.repeat(Math.max(0, n - event.length));
      return mp('oversized', c, { ...base(c), pad });
    });
  const proto = fc.tuple(id, fc.nat(3)).map(([c, how]) => {
    const e = base(c);
    if (how === 0) return js('prototype_keys', c, `{"__proto__":${JSON.stringify(e)}}`);
    if (how === 1)
      return js(
        'prototype_keys',
        c,
        `{${JSON.stringify(e).slice(1, -1)},"props":{"__proto__":{"polluted":true}}}`,
      );
    if (how === 2)
      return js(
        'prototype_keys',
        c,
        `{"constructor":{"prototype":{"ts":1}},"customerId":"${c}","type":"page_view"}`,
      );
    // By hand: a MessagePack map whose only key is __proto__, holding the event.
    return {
      kind: 'prototype_keys' as const,
      subject: on(c),
      data: concat([0x81], mpText('__proto__'), packr.pack(e)),
    };
  });
  const nonFinite = fc
    .tuple(id, fc.constantFrom(NaN, Infinity, -Infinity), fc.constantFrom('ts', 'value', 'prop', 'json'))
    .map(([c, x, field]) => {
      if (field === 'ts') return mp('non_finite', c, { ...base(c), ts: x });
      if (field === 'value')
        return mp('non_finite', c, { ...base(c), type: 'purchase', value: x }, on(c, 'purchase'));
      if (field === 'prop') return mp('non_finite', c, { ...base(c), props: { n: x } });
      return js('non_finite', c, `{"customerId":"${c}","type":"page_view","ts":${String(x)}}`);
    });
  const asString = fc
    .tuple(id, fc.boolean())
    .map(([c, ts]) =>
      ts
        ? js('number_as_string', c, JSON.stringify({ ...base(c), ts: String(nowMs) }))
        : mp('number_as_string', c, { ...base(c), type: 'purchase', value: '12.50' }, on(c, 'purchase')),
    );
  const wildTs = fc
    .tuple(id, fc.constantFrom(-1, -1e15, 1e300, nowMs + 86_400_000, 2 ** 64, -0.5))
    .map(([c, ts]) => mp('wild_timestamp', c, { ...base(c), ts }));
  const badId = fc
    .tuple(id, fc.constantFrom('empty', 'long', 'surrogate', 'number', 'event-id'))
    .map(([c, how]) => {
      if (how === 'empty') return mp('bad_id', c, { ...base(c), customerId: '' });
      if (how === 'long') return mp('bad_id', c, { ...base(c), customerId: c.padEnd(129, 'z') });
      if (how === 'surrogate')
        return js('bad_id', c, `{"customerId":"${c}\\ud800","type":"page_view","ts":${nowMs}}`);
      if (how === 'number') return mp('bad_id', c, { ...base(c), customerId: 42 });
      return mp('bad_id', c, { ...base(c), id: '' });
    });
  const badSubject = fc
    .tuple(id, fc.constantFrom('short', 'long', 'customer', 'type', 'token'))
    .map(([c, how]) => {
      const subject = {
        short: `${prefix}.${c}`,
        long: `${prefix}.${c}.page_view.extra`,
        customer: on(`${c}x`),
        type: on(c, 'purchase'),
        token: `${prefix}.%ZZ.page_view`,
      }[how];
      return mp('bad_subject', c, base(c), subject);
    });
  const badUtf8 = fc
    .tuple(id, fc.constantFrom([0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]), fc.boolean())
    .map(([c, bad, json]) => {
      const idBytes = concat(utf8.encode(c), bad);
      if (json) {
        const text = concat(
          utf8.encode('{"customerId":"'),
          idBytes,
          utf8.encode(`","type":"page_view","ts":${nowMs}}`),
        );
        return { kind: 'invalid_utf8' as const, subject: on(c), data: text, contentType: JSON_TYPE };
      }
      const ts = new Uint8Array(9);
      ts[0] = 0xcb;
      new DataView(ts.buffer).setFloat64(1, nowMs - 1);
      // {customerId: <bad bytes>, type, ts}, written by hand: no encoder writes invalid UTF-8.
      const data = concat(
        [0x83],
        mpText('customerId'),
        mpStr(idBytes),
        mpText('type'),
        mpText('page_view'),
        mpText('ts'),
        ts,
      );
      return { kind: 'invalid_utf8' as const, subject: on(`${c}\uFFFD`), data };
    });
  const badType = fc
    .tuple(id, fc.constantFrom('text/plain', 'application/cbor', 'application/xml'))
    .map(([c, ct]) => ({
      kind: 'bad_content_type' as const,
      subject: on(c),
      data: utf8.encode(JSON.stringify(base(c))),
      contentType: ct,
    }));

  // Oversized payloads are the bulk of the bytes: rarer, so a flood of thousands stays a few megabytes.
  const common = [
    randomBytes,
    truncated,
    deep,
    huge,
    proto,
    nonFinite,
    asString,
    wildTs,
    badId,
    badSubject,
    badUtf8,
    badType,
  ];
  return fc.oneof(
    ...common.map((arbitrary) => ({ arbitrary: arbitrary as fc.Arbitrary<HostileMessage>, weight: 4 })),
    { arbitrary: oversized, weight: 1 },
  );
}
