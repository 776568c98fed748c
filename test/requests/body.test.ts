import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import {
  clipText,
  customerIdOf,
  decodeBody,
  dryRunOf,
  requestEncoding,
  RequestRefusal,
} from '../../src/requests/index.js';

const packr = new Packr({ useRecords: false });
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

function refusalOf(fn: () => unknown): RequestRefusal {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestRefusal) return err;
    throw err;
  }
  throw new Error('expected a RequestRefusal');
}

describe('requestEncoding', () => {
  it('reads JSON and MessagePack by Content-Type, sniffs without one, refuses others', () => {
    expect(requestEncoding('application/json')).toBe('json');
    expect(requestEncoding('Application/JSON; charset=utf-8')).toBe('json');
    expect(requestEncoding('application/msgpack')).toBe('msgpack');
    expect(requestEncoding('application/x-msgpack')).toBe('msgpack');
    expect(requestEncoding(undefined)).toBe('sniff');
    expect(requestEncoding('')).toBe('sniff');
    expect(requestEncoding('  ')).toBe('sniff');
    expect(requestEncoding('text/plain')).toBeUndefined();
    expect(requestEncoding('; charset=utf-8')).toBeUndefined();
  });
});

describe('decodeBody', () => {
  it('decodes a MessagePack body named by its header, and answers in MessagePack', () => {
    for (const ct of ['application/msgpack', 'application/x-msgpack']) {
      const body = decodeBody(packr.pack({ customerId: 'ann' }), ct, 65_536);
      expect(body).toEqual({ ok: true, encoding: 'msgpack', value: { customerId: 'ann' } });
    }
  });

  it('reads a body without Content-Type as JSON, and refuses it when it is not JSON', () => {
    expect(decodeBody(json({ customerId: 'ann' }), undefined, 65_536)).toEqual({
      ok: true,
      encoding: 'json',
      value: { customerId: 'ann' },
    });
    // The old layer read this as the text "ann" (or MessagePack bytes as text): now it is refused with a code.
    for (const data of [new TextEncoder().encode('ann'), packr.pack({ customerId: 'ann' })]) {
      const body = decodeBody(data, undefined, 65_536);
      expect(body.ok).toBe(false);
      if (!body.ok) expect(body.refusal.code).toBe('undecodable');
    }
  });

  it('refuses a body over the limit before parsing it, and an unknown Content-Type', () => {
    const big = decodeBody(new Uint8Array(70_000).fill(0x20), 'application/msgpack', 65_536);
    expect(big).toMatchObject({ ok: false, encoding: 'msgpack', refusal: { code: 'body_too_large' } });
    const xml = decodeBody(json({}), 'application/xml', 65_536);
    expect(xml).toMatchObject({ ok: false, encoding: 'json', refusal: { code: 'unsupported_content_type' } });
  });

  it('decodes an empty body to undefined in every encoding; invalid UTF-8 JSON is undecodable', () => {
    expect(decodeBody(new Uint8Array(), 'application/msgpack', 10_000)).toMatchObject({
      ok: true,
      value: undefined,
    });
    expect(decodeBody(new Uint8Array(), undefined, 10_000)).toMatchObject({ ok: true, value: undefined });
    const bad = decodeBody(new Uint8Array([0x22, 0xff, 0x22]), 'application/json', 10_000);
    expect(bad).toMatchObject({ ok: false, refusal: { code: 'undecodable' } });
  });
});

describe('request shapes', () => {
  it('takes a customer id of 1..128 characters and nothing else', () => {
    expect(customerIdOf({ customerId: 'a' })).toBe('a');
    expect(customerIdOf({ customerId: 'x'.repeat(128) })).toHaveLength(128);
    for (const body of [
      { customerId: '' },
      { customerId: 'x'.repeat(129) },
      { customerId: 7 },
      {},
      { customerId: '\uD800' },
    ]) {
      expect(refusalOf(() => customerIdOf(body)).code).toBe('invalid_customer_id');
    }
    for (const body of [undefined, 'ann', [1], 3, null]) {
      expect(refusalOf(() => customerIdOf(body)).code).toBe('not_an_object');
    }
  });

  it('echoes at most a clipped customer id', () => {
    const refusal = refusalOf(() => customerIdOf({ customerId: 'y'.repeat(1_000_000) }));
    expect(refusal.message.length).toBeLessThan(200);
    expect(refusal.message).toContain('1000000 characters');
    expect(clipText('abc', 2)).toBe('ab…(3 characters)');
  });

  it('does not take a field from a __proto__ key', () => {
    const body = JSON.parse('{"__proto__": {"customerId": "ann"}}') as unknown;
    expect(refusalOf(() => customerIdOf(body)).code).toBe('invalid_customer_id');
  });

  it('takes a dry-run rule up to the limit and a sample of 0..100 (default 10)', () => {
    expect(dryRunOf({ rule: 'churnRisk > 0.5' }, 100)).toEqual({ rule: 'churnRisk > 0.5', sample: 10 });
    expect(dryRunOf({ rule: 'x', sample: 0 }, 100).sample).toBe(0);
    expect(dryRunOf({ rule: 'x', sample: 100 }, 100).sample).toBe(100);
    for (const sample of [101, -1, 1.5, 1e9, '3', Number.NaN]) {
      expect(refusalOf(() => dryRunOf({ rule: 'x', sample }, 100)).code).toBe('invalid_sample');
    }
    for (const rule of ['', '   ', 'x'.repeat(101), 3, undefined]) {
      expect(refusalOf(() => dryRunOf({ rule }, 100)).code).toBe('invalid_rule');
    }
  });
});
