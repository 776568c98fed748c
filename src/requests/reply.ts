import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import type { RequestErrorCode } from '../contract/codes.js';
import type { ErrorReply, RequestEncoding } from './types.js';

/** The max_payload of a nats-server left at its defaults (1 MiB), for when the connection has no INFO yet. */
export const DEFAULT_MAX_PAYLOAD = 1_048_576;

/**
 * Bytes of a reply's max_payload kept for its headers (`NATS/1.0` and the Content-Type line take ~50): the server
 * counts headers and body together against max_payload.
 */
export const HEADER_ALLOWANCE = 256;

// encodeUndefinedAsNil: an absent optional field is nil for every MessagePack reader, not a JS-only extension.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const encoder = new TextEncoder();

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

/** The Content-Type header of a reply in `encoding`. */
export function replyHeaders(encoding: RequestEncoding): MsgHdrs {
  return HEADERS[encoding];
}

/** Encodes a reply payload: JSON text (NaN and Infinity become null) or a MessagePack map with the same fields. */
export function encodeReply(payload: unknown, encoding: RequestEncoding): Uint8Array {
  return encoding === 'json' ? encoder.encode(JSON.stringify(payload)) : packr.pack(payload);
}

/** The reply of a coded error. */
export function errorReply(code: RequestErrorCode, message: string): ErrorReply {
  return { error: { code, message } };
}
