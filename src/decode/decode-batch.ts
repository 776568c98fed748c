import { MAX_CUSTOMER_ID_LENGTH } from '../contract/event.js';
import { clockTickSubject, customerToken, customerTokenOfSubject } from '../contract/subjects.js';
import type { InboundBatch, InboundMessage } from '../ingest/types.js';
import { payloadEncoding } from './content-type.js';
import { Undecodable, decodePayload } from './decode-payload.js';
import { hasLoneSurrogate, isPlainObject } from './field-problem.js';
import type { DecodeOptions } from './options.js';
import { Problem, ascii, show } from './problem.js';
import { decodeClockTick } from './clock-tick.js';
import type { ClockTick, DecodedBatch, DecodedEvent, Rejection } from './types.js';
import { validateEvent } from './validate-event.js';

const NO_TICKS: readonly ClockTick[] = Object.freeze([]);

/** `payload`: what the message decoded to, when it got that far (it may name the customer). */
function reject(message: InboundMessage, problem: Problem, prefix: string, payload?: unknown): Rejection {
  return {
    kind: 'rejected',
    reason: problem.reason,
    detail: problem.detail,
    subject: message.subject,
    data: message.data,
    streamSeq: message.streamSeq,
    contentType: message.contentType,
    customerToken: rejectedCustomerToken(prefix, message.subject, payload),
  };
}

/**
 * Whose message was refused, as a subject token (it picks the dead-letter subject, which an erase purges): the
 * subject's canonical token, else the token of a valid `customerId` in the payload (a well-formed event on a bad
 * subject), else unknown. Only on the rejection path; the subject comes first, as the event stream's purge goes by
 * subject too.
 */
function rejectedCustomerToken(prefix: string, subject: string, payload: unknown): string | undefined {
  const token = customerTokenOfSubject(prefix, subject);
  if (token !== undefined || !isPlainObject(payload)) return token;
  const id = payload['customerId'];
  // An invalid id (too long, lone surrogates) is nobody's: its token could be huge or another id's.
  if (typeof id !== 'string' || id.length < 1 || id.length > MAX_CUSTOMER_ID_LENGTH || hasLoneSurrogate(id)) {
    return undefined;
  }
  return customerToken(id);
}

/** The decoded payload of one message, or the problem that refuses it before validation. Never throws. */
function payloadOf(message: InboundMessage, opts: DecodeOptions): unknown {
  const { data } = message;
  // Size first: nothing is parsed from a payload that is over the limit.
  if (data.byteLength > opts.maxPayloadBytes) {
    return new Problem(
      'payload_too_large',
      `payload: ${data.byteLength} bytes, at most ${opts.maxPayloadBytes} allowed`,
    );
  }
  const encoding = payloadEncoding(message.contentType);
  if (encoding === undefined) {
    return new Problem(
      'unsupported_content_type',
      `Content-Type: expected application/msgpack, application/x-msgpack or application/json, got ${show(message.contentType)}`,
    );
  }
  const payload = decodePayload(data, encoding);
  if (payload instanceof Undecodable) {
    const format = encoding === 'json' ? 'JSON' : 'MessagePack';
    return new Problem(
      'undecodable',
      `payload: not valid ${format} (${ascii(payload.message.slice(0, 160))})`,
    );
  }
  return payload;
}

/**
 * The time `ts` is bounded against: when the stream stored the message (JetStream keeps it, so a replay judges
 * the same), else `fallbackMs` (sources without a stored time), else no bound.
 */
function referenceTime(message: InboundMessage, fallbackMs: number): number {
  const stored = message.publishedAtMs;
  return Number.isFinite(stored) && stored > 0 ? stored : fallbackMs;
}

/**
 * Decodes and validates one inbound batch: every message becomes either a {@link DecodedEvent} (in batch order),
 * a {@link ClockTick} (the engine's own idle-time marks on `<prefix>.$clock.tick`), or a {@link Rejection}
 * carrying its dead-letter reason, subject, original bytes, stream sequence and Content-Type.
 * Pure and total: bad input is a value, never a throw. Deterministic: `ts` is bounded by
 * `opts.maxFutureMs` against each message's stored time, never the wall clock at processing.
 * @param fallbackNowMs the bound's reference for messages without a stored time (default: unbounded)
 */
export function decodeBatch(
  batch: InboundBatch,
  opts: DecodeOptions,
  fallbackNowMs = Number.POSITIVE_INFINITY,
): DecodedBatch {
  const events: DecodedEvent[] = [];
  const rejected: Rejection[] = [];
  let ticks: ClockTick[] | undefined;
  const { messages } = batch;
  const tickSubject = clockTickSubject(opts.subjectPrefix);
  // Indexed loop, no callbacks: no closure per batch or per message on the hot path.
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const nowMs = referenceTime(message, fallbackNowMs);
    if (message.subject === tickSubject) {
      const tick = decodeClockTick(message, nowMs);
      if (tick instanceof Problem) rejected.push(reject(message, tick, opts.subjectPrefix));
      else (ticks ??= []).push({ before: events.length, atMs: tick, streamSeq: message.streamSeq });
      continue;
    }
    // Decoded bytes never make a Problem: a Problem here is payloadOf's refusal.
    const payload = payloadOf(message, opts);
    const result =
      payload instanceof Problem ? payload : validateEvent(payload, message.subject, opts, nowMs);
    if (result instanceof Problem) {
      rejected.push(reject(message, result, opts.subjectPrefix, payload));
    } else {
      events.push({
        event: result,
        subject: message.subject,
        data: message.data,
        streamSeq: message.streamSeq,
        publishedAtMs: message.publishedAtMs,
        // Always set, undefined included: every DecodedEvent keeps one hidden class.
        contentType: message.contentType,
      });
    }
  }
  return { events, rejected, ticks: ticks ?? NO_TICKS, source: batch };
}
