import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import type { RequestErrorCode } from '../contract/codes.js';
import { errorHeaders } from './service-errors.js';
import type { ErrorReply, RequestEncoding } from './types.js';

/** The max_payload of a nats-server left at its defaults (1 MiB), for when the connection has no INFO yet. */
export const DEFAULT_MAX_PAYLOAD = 1_048_576;

// encodeUndefinedAsNil: an absent optional field is nil for every MessagePack reader, not a JS-only extension.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const encoder = new TextEncoder();
// `NATS/1.0\r\n` before the header lines and `\r\n` after them.
const HEADER_FRAME_BYTES = 12;

function contentHeaders(contentType: string): MsgHdrs {
  const h = natsHeaders();
  h.set('Content-Type', contentType);
  return h;
}

// One header object per encoding, shared by every reply: the client encodes it afresh on each publish.
const HEADERS: Record<RequestEncoding, MsgHdrs> = {
  json: contentHeaders('application/json'),
  msgpack: contentHeaders('application/msgpack'),
};

/** The Content-Type of a reply in `encoding`. */
export function replyContentType(encoding: RequestEncoding): string {
  return HEADERS[encoding].get('Content-Type');
}

/** The headers of a reply in `encoding`; an error reply's also carry the micro protocol's error headers. */
export function replyHeaders(encoding: RequestEncoding, error?: ErrorReply['error']): MsgHdrs {
  if (error === undefined) return HEADERS[encoding];
  return errorHeaders(replyContentType(encoding), error.code, error.message);
}

/**
 * Bytes `h` takes in a message (`NATS/1.0` line, `key: value` lines, blank line): the server counts headers and
 * body together against max_payload.
 */
export function headerBytes(h: MsgHdrs): number {
  let n = HEADER_FRAME_BYTES;
  for (const key of h.keys()) {
    for (const value of h.values(key)) n += Buffer.byteLength(key) + Buffer.byteLength(value) + 4;
  }
  return n;
}

/** Encodes a reply payload: JSON text (NaN and Infinity become null) or a MessagePack map with the same fields. */
export function encodeReply(payload: unknown, encoding: RequestEncoding): Uint8Array {
  return encoding === 'json' ? encoder.encode(JSON.stringify(payload)) : packr.pack(payload);
}

/** The reply of a coded error. */
export function errorReply(code: RequestErrorCode, message: string): ErrorReply {
  return { error: { code, message } };
}
