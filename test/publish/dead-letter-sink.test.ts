import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscardPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { DeadLetterHeaders } from '../../src/contract/score-update.js';
import { headerBytes } from '../../src/publish/dead-letter-message.js';
import {
  DEAD_LETTER_DUPLICATE_WINDOW_MS,
  DEAD_LETTER_MAX_AGE_MS,
} from '../../src/publish/dead-letter-stream.js';
import { DeadLettersNotStoredError, ensureDeadLetterStream, natsSink } from '../../src/publish/index.js';
import { isRetryable } from '../../src/publish/store-errors.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';
import { junk, rejection } from './fixtures.js';

let fx: NatsFixture;
let jsm: JetStreamManager;
beforeAll(async () => {
  fx = await natsFixture();
  jsm = await jetstreamManager(fx.nc);
});
afterAll(async () => fx[Symbol.asyncDispose]());

/** A NATS sink with its dead-letter stream (created like at start), recording what it reports to readiness. */
async function sinkWithStream() {
  const prefix = uniqueName('out').toLowerCase();
  const stream = uniqueName('DLQ');
  await ensureDeadLetterStream(jsm, stream, `${prefix}.dlq`);
  const health: Array<[boolean, string]> = [];
  const sink = natsSink({
    nc: fx.nc,
    js: jetstream(fx.nc),
    prefix,
    encoding: 'msgpack',
    deadLetterStream: { jsm, name: stream },
    onDeadLetterHealth: (ok, why) => void health.push([ok, why]),
  });
  return { sink, stream, health };
}

/** Bytes 0, 1, 2, … (mod 251), so a prefix is recognisable. */
function counting(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

describe('a dead letter too large to store whole', () => {
  it('the 1,048,576-byte poison is stored truncated to max_payload, saying so and its original size', async () => {
    const { sink, stream, health } = await sinkWithStream();
    const maxPayload = fx.nc.info!.max_payload;
    expect(maxPayload).toBe(1_048_576);
    const poison = rejection(7, counting(1_048_576), {
      reason: 'payload_too_large',
      detail: 'payload: 1048576 bytes, at most 65536 allowed',
      subject: 'events.big.page_view',
    });
    await sink.deadLetter([poison]);

    const m = (await jsm.streams.getMessage(stream, { seq: 1 }))!;
    expect(m.header.get(DeadLetterHeaders.reason)).toBe('payload_too_large');
    expect(m.header.get(DeadLetterHeaders.streamSeq)).toBe('7');
    expect(m.header.get(DeadLetterHeaders.truncated)).toBe('true');
    expect(m.header.get(DeadLetterHeaders.originalSize)).toBe('1048576');
    expect(m.header.get('Nats-Msg-Id')).toBe('events.big.page_view:7');
    // Cut to fill max_payload to the byte, and a prefix of the original.
    expect(m.data.byteLength + headerBytes(m.header)).toBe(maxPayload);
    expect(Buffer.compare(m.data, poison.data.subarray(0, m.data.byteLength))).toBe(0);
    expect(health).toEqual([[true, 'stored']]);

    // Stored once, however often its batch is dead-lettered again.
    await sink.deadLetter([poison]);
    expect((await jsm.streams.info(stream)).state.messages).toBe(1);
  });

  it('one that fits exactly is stored whole, without the truncation headers', async () => {
    const { sink, stream } = await sinkWithStream();
    const probe = rejection(9, new Uint8Array(0), { subject: 'events.fit.page_view' });
    // The headers of this very dead letter, measured the way the sink does.
    const { deadLetterMessage } = await import('../../src/publish/dead-letter-message.js');
    const room = fx.nc.info!.max_payload - headerBytes(deadLetterMessage(probe, Infinity).headers);
    await sink.deadLetter([{ ...probe, data: counting(room) }]);
    const m = (await jsm.streams.getMessage(stream, { seq: 1 }))!;
    expect(m.data.byteLength).toBe(room);
    expect(m.header.has(DeadLetterHeaders.truncated)).toBe(false);
  });

  it("is cut to the stream's max_msg_size when the stream refuses it as too large", async () => {
    const prefix = uniqueName('out').toLowerCase();
    const stream = uniqueName('DLQ');
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.dlq.>`], max_msg_size: 4_096 });
    const sink = natsSink({
      nc: fx.nc,
      js: jetstream(fx.nc),
      prefix,
      encoding: 'json',
      deadLetterStream: { jsm, name: stream },
    });
    await sink.deadLetter([rejection(3, counting(100_000)), rejection(4, junk(4))]);
    expect((await jsm.streams.info(stream)).state.messages).toBe(2);
    const stored = await Promise.all([1, 2].map((seq) => jsm.streams.getMessage(stream, { seq })));
    const cut = stored.find((m) => m?.header.get(DeadLetterHeaders.streamSeq) === '3')!;
    expect(cut.header.get(DeadLetterHeaders.originalSize)).toBe('100000');
    expect(cut.data.byteLength + headerBytes(cut.header)).toBeLessThanOrEqual(4_096);
    expect(cut.data.byteLength).toBeGreaterThan(3_000);
  });
});

describe('the dead-letter stream deleted while running', () => {
  it('is recreated with the settings of the start, and the dead letters stored', async () => {
    const { sink, stream, health } = await sinkWithStream();
    await sink.deadLetter([rejection(1, junk(1))]);
    await jsm.streams.delete(stream);

    await sink.deadLetter([rejection(2, junk(2)), rejection(3, junk(3))]);
    const info = await jsm.streams.info(stream);
    expect(info.state.messages).toBe(2);
    expect(info.config.max_age).toBe(DEAD_LETTER_MAX_AGE_MS * 1_000_000);
    expect(info.config.duplicate_window).toBe(DEAD_LETTER_DUPLICATE_WINDOW_MS * 1_000_000);
    expect(health.map(([ok]) => ok)).toEqual([true, true]);
  });

  it('without the stream to recreate, fails retryably, naming the dead letters, and reports it', async () => {
    const prefix = uniqueName('nostream').toLowerCase();
    const health: boolean[] = [];
    const sink = natsSink({
      nc: fx.nc,
      js: jetstream(fx.nc, { timeout: 2_000 }),
      prefix,
      encoding: 'json',
      onDeadLetterHealth: (ok) => void health.push(ok),
    });
    const err = await sink
      .deadLetter([rejection(1, junk(1)), rejection(2, junk(2))])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadLettersNotStoredError);
    expect((err as DeadLettersNotStoredError).notStored.map((r) => r.streamSeq)).toEqual([1, 2]);
    expect(isRetryable(err)).toBe(true);
    expect(health).toEqual([false]);
  });

  it('a stream that refuses for good (full, discard new) fails without retry', async () => {
    const prefix = uniqueName('out').toLowerCase();
    const stream = uniqueName('DLQ');
    await jsm.streams.add({
      name: stream,
      subjects: [`${prefix}.dlq.>`],
      max_msgs: 1,
      discard: DiscardPolicy.New,
    });
    const sink = natsSink({ nc: fx.nc, js: jetstream(fx.nc), prefix, encoding: 'json' });
    await sink.deadLetter([rejection(1, junk(1))]);
    const err = await sink.deadLetter([rejection(2, junk(2))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadLettersNotStoredError);
    expect(isRetryable(err)).toBe(false);
  });
});
