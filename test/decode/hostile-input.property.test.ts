import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DLQ_REASONS } from '../../src/contract/codes.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { DEFAULT_DECODE_OPTIONS, decodeBatch } from '../../src/decode/index.js';
import type { InboundMessage } from '../../src/ingest/types.js';
import { mutatedEventArb, validEventArb } from '../contract/event-arbitraries.js';
import { hostileMessageArb, type HostileMessage } from '../contract/hostile-arbitraries.js';
import { NOW, batchOf } from './messages.js';

const packr = new Packr({ useRecords: false });
const utf8 = new TextEncoder();
const opts = DEFAULT_DECODE_OPTIONS;
const hostileArb = hostileMessageArb({
  prefix: opts.subjectPrefix,
  nowMs: NOW - 10,
  maxPayloadBytes: opts.maxPayloadBytes,
});
/** Valid events, as MessagePack or JSON, on their own subject. */
const validArb = fc.tuple(validEventArb, fc.boolean()).map(([event, json]) => ({
  subject: eventSubject(opts.subjectPrefix, event.customerId as string, event.type as string),
  data: json ? utf8.encode(JSON.stringify(event)) : packr.pack(event),
  ...(json ? { contentType: 'application/json' } : {}),
}));

const toMessage = (
  m: { subject: string; data: Uint8Array; contentType?: string },
  seq: number,
): InboundMessage => ({
  subject: m.subject,
  data: m.data,
  contentType: m.contentType,
  streamSeq: seq,
  publishedAtMs: NOW,
});

/** Every message of a batch is an event or a rejection with a documented reason and a header-safe detail. */
function expectTotal(messages: readonly InboundMessage[]) {
  const out = decodeBatch(batchOf(messages), opts, NOW);
  expect(out.events.length + out.rejected.length).toBe(messages.length);
  for (const r of out.rejected) {
    expect(Object.hasOwn(DLQ_REASONS, r.reason), r.reason).toBe(true);
    expect(r.detail).toMatch(/^[\x20-\x7e]*$/);
  }
  return out;
}

describe('decode and validation under hostile input (property)', () => {
  it('refuses every hostile message with a documented reason, never throwing', () => {
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(hostileArb, (h: HostileMessage) => {
        kinds.set(h.kind, (kinds.get(h.kind) ?? 0) + 1);
        const out = expectTotal([toMessage(h, 1)]);
        expect(out.events, `${h.kind} accepted: ${h.subject}`).toEqual([]);
        expect(out.rejected).toHaveLength(1);
      }),
      { numRuns: 6_000 },
    );
    // Every kind was drawn, many times.
    expect(kinds.size).toBe(13);
    for (const n of kinds.values()) expect(n).toBeGreaterThan(100);
  });

  it('in mixed batches, applies every valid event in order and refuses every hostile one', () => {
    const mixed = fc.array(
      fc.oneof(
        hostileArb.map((m) => ({ hostile: true, m })),
        validArb.map((m) => ({ hostile: false, m })),
      ),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(mixed, (items) => {
        const messages = items.map((it, i) => toMessage(it.m, i + 1));
        const out = expectTotal(messages);
        const hostileSeqs = items.flatMap((it, i) => (it.hostile ? [i + 1] : []));
        expect(out.rejected.map((r) => r.streamSeq)).toEqual(hostileSeqs);
        expect(out.events.map((e) => e.streamSeq)).toEqual(
          items.flatMap((it, i) => (it.hostile ? [] : [i + 1])),
        );
      }),
      { numRuns: 1_500 },
    );
  });

  it('is total on any bytes, any Content-Type and any subject', () => {
    const anyMessage = fc.record({
      subject: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom('events.a.page_view', 'events..', 'events.%.x', 'events.$clock.tick'),
      ),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        mutatedEventArb.map((e) => packr.pack(e)),
      ),
      contentType: fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.constant('application/json')), {
        nil: undefined,
      }),
    });
    fc.assert(
      fc.property(fc.array(anyMessage, { maxLength: 20 }), (ms) => {
        expectTotal(ms.map((m, i) => toMessage(m, i + 1)));
      }),
      { numRuns: 3_000 },
    );
  });

  it('mutated events in either encoding are valid events or refused with a reason', () => {
    fc.assert(
      fc.property(mutatedEventArb, fc.boolean(), (event, json) => {
        const data = json ? utf8.encode(JSON.stringify(event) ?? 'null') : packr.pack(event);
        const e = event as { customerId?: unknown; type?: unknown } | null;
        const subject =
          typeof e?.customerId === 'string' && typeof e.type === 'string' && e.customerId !== ''
            ? eventSubject(opts.subjectPrefix, e.customerId, e.type)
            : 'events.x.y';
        expectTotal([toMessage({ subject, data, ...(json ? { contentType: 'application/json' } : {}) }, 1)]);
      }),
      { numRuns: 3_000 },
    );
    // Nothing leaked into prototypes from __proto__ / constructor keys.
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
