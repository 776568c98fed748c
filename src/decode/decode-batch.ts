import type { CustomerEvent } from '../contract/event.js';
import type { InboundBatch, InboundMessage } from '../ingest/types.js';
import { payloadEncoding } from './content-type.js';
import { Undecodable, decodePayload } from './decode-payload.js';
import type { DecodeOptions } from './options.js';
import { Problem, ascii, show } from './problem.js';
import type { DecodedBatch, DecodedEvent, Rejection } from './types.js';
import { validateEvent } from './validate-event.js';

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
 * Decodes and validates one inbound batch: every message becomes either a {@link DecodedEvent} (in batch order)
 * or a {@link Rejection} carrying its dead-letter reason, subject, original bytes, stream sequence and
 * Content-Type.
 * Pure and total: bad input is a value, never a throw.
 * @param nowMs wall-clock now, epoch ms, read once for the whole batch (bounds `ts` by `opts.maxFutureMs`).
 */
export function decodeBatch(batch: InboundBatch, opts: DecodeOptions, nowMs: number): DecodedBatch {
  const events: DecodedEvent[] = [];
  const rejected: Rejection[] = [];
  const { messages } = batch;
  // Indexed loop, no callbacks: no closure per batch or per message on the hot path.
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
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
  return { events, rejected, source: batch };
}
