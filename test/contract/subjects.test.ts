import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  customerIdFromToken,
  customerToken,
  eventSubject,
  isEventSubject,
  parseEventSubject,
} from '../../src/contract/subjects.js';
import { customerIdArb } from './event-arbitraries.js';

/** A NATS subject token that is printable ASCII with no separator, wildcard or whitespace. */
const SAFE_TOKEN = /^[\x21-\x7e]+$/;

describe('customerToken / customerIdFromToken', () => {
  it.each([
    ['abc-DEF_019', 'abc-DEF_019'],
    ['a.b', 'a%2Eb'],
    ['ann lee', 'ann%20lee'],
    ['x@example.com', 'x%40example%2Ecom'],
    ['*', '%2A'],
    ['>', '%3E'],
    ['%', '%25'],
    ['%41', '%2541'],
    ['\t', '%09'],
    ['é', '%C3%A9'],
    ['€', '%E2%82%AC'],
    ['😀', '%F0%9F%98%80'],
    ['\u{10FFFF}', '%F4%8F%BF%BF'],
    ['\uFEFF', '%EF%BB%BF'],
  ])('%j <-> %s', (id, token) => {
    expect(customerToken(id)).toBe(token);
    expect(customerIdFromToken(token)).toBe(id);
  });

  it('returns a verbatim id itself (no escaping work)', () => {
    const id = 'Customer_42-x';
    expect(customerToken(id)).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['escape of a verbatim character', '%41'],
    ['lower-case hex', '%c3%a9'],
    ['mixed-case hex', '%C3%a9'],
    ['stray %', 'a%'],
    ['short escape', '%4'],
    ['non-hex escape', '%GG'],
    ['dot', 'a.b'],
    ['space', 'a b'],
    ['wildcard', '*'],
    ['tail wildcard', '>'],
    ['non-ASCII character', 'é'],
    ['truncated UTF-8', '%C3'],
    ['overlong UTF-8', '%C0%AE'],
    ['encoded surrogate', '%ED%A0%80'],
    ['lone continuation byte', '%80'],
    ['beyond U+10FFFF', '%F4%90%80%80'],
  ])('refuses a non-canonical token: %s', (_name, token) => {
    expect(customerIdFromToken(token)).toBeUndefined();
  });

  it('round-trips every valid id through a safe subject token', () => {
    fc.assert(
      fc.property(customerIdArb, (id) => {
        const token = customerToken(id);
        expect(token).toMatch(SAFE_TOKEN);
        expect(token).not.toMatch(/[.*>]/);
        expect(customerIdFromToken(token)).toBe(id);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips full-Unicode ids (astral planes included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }), (id) => {
        expect(customerIdFromToken(customerToken(id))).toBe(id);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a token only if encoding its id gives the token back (canonical form is unique)', () => {
    const tokenish = fc.string({
      unit: fc.constantFrom('a', 'Z', '9', '_', '-', '%', '0', 'A', 'F', 'f', 'C', '3', 'E', '8', '.'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(tokenish, (token) => {
        const id = customerIdFromToken(token);
        if (id !== undefined) expect(customerToken(id)).toBe(token);
      }),
      { numRuns: 3000 },
    );
  });

  it('writes lone surrogates (never valid ids) as U+FFFD, still as a safe token', () => {
    const token = customerToken('a\uD800b');
    expect(token).toBe('a%EF%BF%BDb');
    expect(customerIdFromToken(token)).toBe('a\uFFFDb');
  });
});

describe('eventSubject / parseEventSubject / isEventSubject', () => {
  it('builds <prefix>.<token>.<type>, prefix defaulting to events', () => {
    expect(eventSubject(undefined, 'a.b', 'purchase')).toBe('events.a%2Eb.purchase');
    expect(eventSubject('acme.events', 'c1', 'nps')).toBe('acme.events.c1.nps');
  });

  it('parses what it builds, for any valid id and a prefix with dots', () => {
    const prefix = fc.constantFrom('events', 'acme.events', 'a.b.c');
    const type = fc.stringMatching(/^[a-z0-9_]{1,64}$/);
    fc.assert(
      fc.property(prefix, customerIdArb, type, (p, id, t) => {
        const subject = eventSubject(p, id, t);
        expect(parseEventSubject(p, subject)).toEqual({ customerId: id, type: t });
        expect(isEventSubject(p, subject, id, t)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('isEventSubject is exactly string equality with eventSubject', () => {
    const part = fc.constantFrom('events', 'c1', 'c2', 'a.b', 'purchase', 'page_view', '', 'events.c1');
    fc.assert(
      fc.property(part, part, part, part, (prefix, id, type, other) => {
        for (const subject of [
          eventSubject(prefix, id, type),
          `${prefix}.${other}.${type}`,
          `${other}.${id}.${type}`,
        ]) {
          expect(isEventSubject(prefix, subject, id, type)).toBe(subject === eventSubject(prefix, id, type));
        }
      }),
    );
  });

  it.each([
    ['other prefix', 'orders.c1.purchase'],
    ['prefix only', 'events'],
    ['prefix and dot', 'events.'],
    ['no type', 'events.c1'],
    ['empty type', 'events.c1.'],
    ['empty customer', 'events..purchase'],
    ['extra token', 'events.c1.purchase.x'],
    ['prefix is a longer word', 'eventsx.c1.purchase'],
    ['non-canonical token', 'events.%2e.purchase'],
    ['wildcard token', 'events.*.purchase'],
  ])('refuses %s', (_name, subject) => {
    expect(parseEventSubject('events', subject)).toBeUndefined();
  });
});
