/** Builders of inbound messages and batches for the decode tests (real msgpackr / JSON encodings). */
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import type { InboundBatch, InboundMessage } from '../../src/ingest/types.js';

/** The wall clock the tests decode at, epoch ms. */
export const NOW = 1_760_000_000_000;

// What a producer in another language writes: plain maps, no msgpackr records.
const packr = new Packr({ useRecords: false });
const utf8 = new TextEncoder();

/** MessagePack bytes of a value. */
export function msgpack(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** UTF-8 JSON bytes of a value (or of a raw JSON text when given a string). */
export function json(value: unknown): Uint8Array {
  return utf8.encode(typeof value === 'string' ? value : JSON.stringify(value));
}

/** A valid event for customer `c<i>` (a purchase every third one, so values are exercised). */
export function validEvent(i: number): Record<string, unknown> {
  return i % 3 === 0
    ? { customerId: `c${i}`, type: 'purchase', ts: NOW - 1000 * i, value: 10 + i, channel: 'web' }
    : { customerId: `c${i}`, type: 'page_view', ts: NOW - 1000 * i };
}

/** The subject an event (given as a map with customerId and type) belongs on. */
export function subjectOf(event: Record<string, unknown>): string {
  return eventSubject('events', String(event.customerId), String(event.type));
}

/** One inbound message; subject defaults to the event's own, content type to none (MessagePack). */
export function message(
  data: Uint8Array,
  subject: string,
  streamSeq: number,
  contentType: string | undefined = undefined,
): InboundMessage {
  return { subject, data, contentType, streamSeq, publishedAtMs: NOW - 5 + streamSeq };
}

/** A MessagePack message carrying a valid event `i` on its own subject. */
export function validMessage(i: number, streamSeq: number): InboundMessage {
  const event = validEvent(i);
  return message(msgpack(event), subjectOf(event), streamSeq);
}

/** A batch over the messages; `acks` counts ack() calls. */
export function batchOf(messages: readonly InboundMessage[]): InboundBatch & { acks: number } {
  const batch = {
    messages,
    acks: 0,
    ack(): void {
      batch.acks++;
    },
  };
  return batch;
}
