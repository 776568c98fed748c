import type { CustomerEvent } from '../contract/event.js';
import { clockTickSubject } from '../contract/subjects.js';
import type { InboundBatch, InboundMessage } from '../ingest/types.js';
import { payloadEncoding } from './content-type.js';
import { Undecodable, decodePayload } from './decode-payload.js';
import type { DecodeOptions } from './options.js';
import { Problem, ascii, show } from './problem.js';
import { decodeClockTick } from './clock-tick.js';
import type { ClockTick, DecodedBatch, DecodedEvent, Rejection } from './types.js';
import { validateEvent } from './validate-event.js';

const NO_TICKS: readonly ClockTick[] = Object.freeze([]);

function reject(message: InboundMessage, problem: Problem): Rejection {
  return {
    kind: 'rejected',
    reason: problem.reason,
    detail: problem.detail,
    subject: message.subject,
    data: message.data,
    streamSeq: message.streamSeq,
    contentType: message.contentType,
  };
}

/** The event in one message, or the problem that refuses it. Never throws. */
function decodeMessage(message: InboundMessage, opts: DecodeOptions, nowMs: number): CustomerEvent | Problem {
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
  return validateEvent(payload, message.subject, opts, nowMs);
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
      if (tick instanceof Problem) rejected.push(reject(message, tick));
      else (ticks ??= []).push({ before: events.length, atMs: tick, streamSeq: message.streamSeq });
      continue;
    }
    const result = decodeMessage(message, opts, nowMs);
    if (result instanceof Problem) {
      rejected.push(reject(message, result));
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
