import fc from 'fast-check';
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { eventSubject } from '../../src/contract/subjects.js';
import { DEFAULT_DECODE_OPTIONS, decode, decodeBatch } from '../../src/decode/index.js';
import type { InboundMessage } from '../../src/ingest/types.js';
import { mutatedEventArb, validEventArb } from '../contract/event-arbitraries.js';
import { NOW, batchOf, message, msgpack } from './messages.js';

describe('decode operator', () => {
  it('reads the clock once per batch and bounds future timestamps by it', async () => {
    const ahead = { customerId: 'c1', type: 'app_open', ts: NOW + 60_000 };
    const m = message(msgpack(ahead), 'events.c1.app_open', 1);
    const readings = [NOW, NOW - 600_000];
    let calls = 0;
    const clock = (): number => readings[calls++] ?? Number.NaN;

    const out = await firstValueFrom(
      from([batchOf([m, m, m]), batchOf([m, m])]).pipe(
        decode({ options: DEFAULT_DECODE_OPTIONS, clock }),
        toArray(),
      ),
    );

    expect(calls).toBe(2);
    expect(out.map((b) => b.events.length)).toEqual([3, 0]);
    expect(out.map((b) => b.rejected.map((r) => r.reason))).toEqual([
      [],
      ['too_far_in_future', 'too_far_in_future'],
    ]);
  });

  it('defaults to the wall clock', async () => {
    const now = Date.now();
    const ok = { customerId: 'c1', type: 'app_open', ts: now };
    const late = { customerId: 'c1', type: 'app_open', ts: now + 3_600_000 };
    const batch = batchOf([
      message(msgpack(ok), 'events.c1.app_open', 1),
      message(msgpack(late), 'events.c1.app_open', 2),
    ]);
    const [out] = await firstValueFrom(
      from([batch]).pipe(decode({ options: DEFAULT_DECODE_OPTIONS }), toArray()),
    );
    expect(out!.events.map((e) => e.streamSeq)).toEqual([1]);
    expect(out!.rejected.map((r) => r.reason)).toEqual(['too_far_in_future']);
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
