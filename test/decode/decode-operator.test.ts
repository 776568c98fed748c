import fc from 'fast-check';
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { eventSubject } from '../../src/contract/subjects.js';
import { DEFAULT_DECODE_OPTIONS, decode, decodeBatch } from '../../src/decode/index.js';
import type { InboundMessage } from '../../src/ingest/types.js';
import { mutatedEventArb, validEventArb } from '../contract/event-arbitraries.js';
import { NOW, batchOf, message, msgpack } from './messages.js';

describe('decode operator', () => {
  it('bounds future timestamps by the time the stream stored each message, never the wall clock', async () => {
    // Stored long ago: what was refused then is refused on every replay, whenever it happens.
    const storedAt = Date.now() - 30 * 86_400_000;
    const ok = { customerId: 'c1', type: 'app_open', ts: storedAt + 60_000 };
    const ahead = { customerId: 'c1', type: 'app_open', ts: storedAt + 3_600_000 };
    const at = (m: InboundMessage): InboundMessage => ({ ...m, publishedAtMs: storedAt });
    const batch = batchOf([
      at(message(msgpack(ok), 'events.c1.app_open', 1)),
      at(message(msgpack(ahead), 'events.c1.app_open', 2)),
    ]);
    const [out] = await firstValueFrom(
      from([batch]).pipe(decode({ options: DEFAULT_DECODE_OPTIONS }), toArray()),
    );
    expect(out!.events.map((e) => e.streamSeq)).toEqual([1]);
    expect(out!.rejected.map((r) => r.reason)).toEqual(['too_far_in_future']);
  });

  it('reads clock ticks in stream order among the events and refuses a tick later than its stored time', () => {
    const e = (seq: number) =>
      message(msgpack({ customerId: 'c1', type: 'app_open', ts: NOW }), 'events.c1.app_open', seq);
    const tick = (seq: number, ts: number) =>
      message(new TextEncoder().encode(JSON.stringify({ ts })), 'events.$clock.tick', seq);
    const out = decodeBatch(
      // Stored at NOW - 5 + seq: an engine only ever writes a time before it writes; a producer's tick a minute
      // ahead (well within ingest.maxFutureMs for events) cannot move every engine's clock.
      batchOf([tick(1, NOW - 5), e(2), tick(3, NOW - 2), tick(4, NOW + 60_000), e(5)]),
      DEFAULT_DECODE_OPTIONS,
    );
    expect(out.events.map((d) => d.streamSeq)).toEqual([2, 5]);
    expect(out.ticks).toEqual([
      { before: 0, atMs: NOW - 5, streamSeq: 1 },
      { before: 1, atMs: NOW - 2, streamSeq: 3 },
    ]);
    expect(out.rejected.map((r) => [r.streamSeq, r.reason])).toEqual([[4, 'too_far_in_future']]);
  });

  it('does not ack: the batch travels on as `source` for the state stage to ack', async () => {
    const batch = batchOf([message(new Uint8Array([0xc1]), 'events.c1.app_open', 1)]);
    const [out] = await firstValueFrom(
      from([batch]).pipe(decode({ options: DEFAULT_DECODE_OPTIONS }), toArray()),
    );
    expect(out!.source).toBe(batch);
    expect(batch.acks).toBe(0);
  });
});

interface Item {
  readonly valid: boolean;
  readonly payload: unknown;
}

describe('decodeBatch over mixed batches', () => {
  it('keeps every valid event in order and accounts for every message exactly once', () => {
    const item = fc.oneof(
      validEventArb.map((e): Item => ({ valid: true, payload: e })),
      mutatedEventArb.map((p): Item => ({ valid: false, payload: p })),
      fc.uint8Array({ maxLength: 12 }).map((bytes): Item => ({ valid: false, payload: bytes })),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (items) => {
        const messages: InboundMessage[] = items.map(({ payload }, i) => {
          const p = payload as { customerId?: unknown; type?: unknown };
          const subject =
            typeof p?.customerId === 'string' && typeof p.type === 'string'
              ? eventSubject('events', p.customerId, p.type)
              : 'events.x.y';
          const data = payload instanceof Uint8Array ? payload : msgpack(payload);
          return message(data, subject, i + 1);
        });
        const out = decodeBatch(batchOf(messages), DEFAULT_DECODE_OPTIONS, NOW);

        const validSeqs = items.flatMap((it, i) => (it.valid ? [i + 1] : []));
        const keptSeqs = out.events.map((e) => e.streamSeq);
        // Every generated-valid event is kept, in order; a mutation may happen to stay valid and be kept too.
        expect(keptSeqs.filter((s) => validSeqs.includes(s))).toEqual(validSeqs);
        expect(keptSeqs).toEqual([...keptSeqs].sort((a, b) => a - b));
        const all = [...keptSeqs, ...out.rejected.map((r) => r.streamSeq)].sort((a, b) => a - b);
        expect(all).toEqual(messages.map((m) => m.streamSeq));
      }),
      { numRuns: 200 },
    );
  });
});
