import { Packr, Unpackr } from 'msgpackr';

/** The encodings churnflow speaks on NATS: MessagePack (the engine's default) or JSON. */
export type Encoding = 'msgpack' | 'json';

// Plain objects only (no msgpackr records), 64-bit integers as numbers: what the engine and other languages send.
// A seq (start time in ms × 1000 + count) is ~1.8e15, below 2^53, so it stays exact as a number.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
// encodeUndefinedAsNil: an absent optional field is nil for every MessagePack reader, as the engine writes it.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
// fatal: invalid UTF-8 is an error, not text with U+FFFD (which could name another customer).
const utf8 = new TextDecoder('utf-8', { fatal: true });
const textEncoder = new TextEncoder();

/** The Content-Type header value of an encoding. */
export function contentTypeOf(encoding: Encoding): string {
  return encoding === 'json' ? 'application/json' : 'application/msgpack';
}

/**
 * The encoding a Content-Type header names (`application/json`, `application/msgpack`,
 * `application/x-msgpack`; any case, parameters allowed), `'sniff'` when there is none, `undefined` for another.
 */
export function encodingOf(contentType: string | undefined): Encoding | 'sniff' | undefined {
  if (contentType === undefined) return 'sniff';
  const semicolon = contentType.indexOf(';');
  const media = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (media === '') return 'sniff';
  if (media === 'application/json') return 'json';
  if (media === 'application/msgpack' || media === 'application/x-msgpack') return 'msgpack';
  return undefined;
}

/**
 * Guesses the encoding of a payload without a Content-Type: JSON when its first non-blank byte is `{` or `[`,
 * MessagePack otherwise. Every churnflow payload is a map: in MessagePack that starts with 0x80..0x8f, 0xde or
 * 0xdf, never with `{` (0x7b, the integer 123) or blanks, so the guess is unambiguous for them.
 */
export function sniffEncoding(data: Uint8Array): Encoding {
  for (const byte of data) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b ? 'json' : 'msgpack';
  }
  return 'json';
}

/** A payload decoded, or why it could not be: a bad message is a value, never a throw in a subscription. */
export type Decoded =
  | { readonly ok: true; readonly encoding: Encoding; readonly value: unknown }
  | {
      readonly ok: false;
      readonly reason: 'unsupported_content_type' | 'undecodable';
      readonly detail: string;
    };

/**
 * Decodes a payload by its Content-Type header (see {@link encodingOf}), sniffing when there is none (see
 * {@link sniffEncoding}). An empty payload decodes to undefined.
 */
export function decodePayload(data: Uint8Array, contentType: string | undefined): Decoded {
  const declared = encodingOf(contentType);
  if (declared === undefined) {
    return { ok: false, reason: 'unsupported_content_type', detail: `Content-Type ${contentType ?? ''}` };
  }
  const encoding = declared === 'sniff' ? sniffEncoding(data) : declared;
  if (data.length === 0) return { ok: true, encoding, value: undefined };
  try {
    const value: unknown =
      encoding === 'json' ? JSON.parse(utf8.decode(data)) : (unpackr.unpack(data) as unknown);
    return { ok: true, encoding, value };
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Encodes a value as JSON text or a MessagePack map with the same fields. */
export function encodePayload(value: unknown, encoding: Encoding): Uint8Array {
  return encoding === 'json' ? textEncoder.encode(JSON.stringify(value)) : packr.pack(value);
}
