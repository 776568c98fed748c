import { PubHeaders } from '@nats-io/jetstream';
import { MsgHdrsImpl, headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { DeadLetterHeaders } from '../contract/score-update.js';
import type { Rejection } from '../decode/types.js';

/** A dead letter ready to publish: its payload (whole or cut) and its headers. */
export interface DeadLetterMessage {
  readonly data: Uint8Array;
  readonly headers: MsgHdrs;
  /** True when `data` is only the first bytes of the original. */
  readonly truncated: boolean;
}

/**
 * The dead letter of `r` sized so headers plus payload take at most `limitBytes` (the server's `max_payload`, or
 * a stream's `max_msg_size`): whole when it fits, else the payload's first bytes with `Churnflow-Truncated: true`
 * and `Churnflow-Original-Size`. The headers are sized exactly as nats.js writes them (the `NATS/1.0` block),
 * so a cut payload fills the limit to the byte. When even the headers do not fit, the payload is empty and the
 * publish fails (it is then reported, never retried forever).
 */
export function deadLetterMessage(r: Rejection, limitBytes: number): DeadLetterMessage {
  const h = deadLetterHeaders(r);
  if (headerBytes(h) + r.data.byteLength <= limitBytes) return { data: r.data, headers: h, truncated: false };
  h.set(DeadLetterHeaders.truncated, 'true');
  h.set(DeadLetterHeaders.originalSize, String(r.data.byteLength));
  const room = Math.max(0, Math.min(r.data.byteLength, limitBytes - headerBytes(h)));
  return { data: r.data.subarray(0, room), headers: h, truncated: true };
}

/** Bytes the headers take on the wire: nats.js sends `encode()` of them (their `NATS/1.0` text, UTF-8). */
export function headerBytes(h: MsgHdrs): number {
  // Every MsgHdrs nats.js makes (ours from headers(), a stored message's) is a MsgHdrsImpl.
  if (h instanceof MsgHdrsImpl) return h.encode().byteLength;
  throw new TypeError('headers not made by nats.js: their size on the wire is unknown');
}

/**
 * The `Nats-Msg-Id` of a dead letter: the original's subject and stream sequence, the same on every redelivery of
 * its batch (and on a retry after a partial publish), so JetStream stores it once within the DLQ stream's
 * duplicate window.
 */
export function deadLetterMsgId(r: Rejection): string {
  return `${r.subject}:${r.streamSeq}`;
}

function deadLetterHeaders(r: Rejection): MsgHdrs {
  const h = natsHeaders();
  h.set(DeadLetterHeaders.reason, r.reason);
  h.set(DeadLetterHeaders.detail, headerSafe(r.detail));
  h.set(DeadLetterHeaders.subject, headerSafe(r.subject));
  h.set(DeadLetterHeaders.streamSeq, String(r.streamSeq));
  // The payload is the original bytes: a consumer needs the original Content-Type to read them.
  if (r.contentType) h.set(DeadLetterHeaders.contentType, headerSafe(r.contentType));
  // Set here rather than through publish's `msgID` option, so headerBytes counts it.
  h.set(PubHeaders.MsgIdHdr, deadLetterMsgId(r));
  return h;
}

/** Header values must be printable ASCII on one line; the detail may quote hostile input. */
function headerSafe(s: string): string {
  const cleaned = s.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 512 ? `${cleaned.slice(0, 509)}...` : cleaned;
}
