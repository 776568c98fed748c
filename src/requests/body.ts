import { Unpackr } from 'msgpackr';
import { payloadEncoding } from '../decode/content-type.js';
import { RequestRefusal, type RequestEncoding } from './types.js';

/** A request body after {@link decodeBody}: the value, or why not; and the encoding the reply must use. */
export type DecodedBody =
  | { readonly ok: true; readonly encoding: RequestEncoding; readonly value: unknown }
  | { readonly ok: false; readonly encoding: RequestEncoding; readonly refusal: RequestRefusal };

// Plain objects only (no records, no class instances), 64-bit integers as numbers: what other languages send.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
// fatal: invalid UTF-8 is refused, not read as text with U+FFFD (which could match a different customer).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How the body is encoded, by its Content-Type header: `application/json`; `application/msgpack` or
 * `application/x-msgpack` (any case, parameters allowed); `'sniff'` when there is no header (or a blank one):
 * the body must then be JSON, the encoding of `nats req` and curl-like tools. Anything else: undefined.
 */
export function requestEncoding(contentType: string | undefined): RequestEncoding | 'sniff' | undefined {
  if (contentType === undefined || contentType.trim() === '') return 'sniff';
  return payloadEncoding(contentType);
}

/**
 * Decodes a request body: first its size (refused above `maxBodyBytes` before a byte is parsed), then its
 * encoding by Content-Type (see {@link requestEncoding}). An empty body decodes to undefined in any encoding
 * (requests without fields send nothing). Never throws: a bad body is a {@link RequestRefusal} value. The reply
 * encoding is the request's; JSON when the request named none or one the engine does not read.
 */
export function decodeBody(
  data: Uint8Array,
  contentType: string | undefined,
  maxBodyBytes: number,
): DecodedBody {
  const declared = requestEncoding(contentType);
  const encoding: RequestEncoding = declared === 'msgpack' ? 'msgpack' : 'json';
  const refuse = (refusal: RequestRefusal): DecodedBody => ({ ok: false, encoding, refusal });
  if (data.length > maxBodyBytes) {
    return refuse(
      new RequestRefusal(
        'body_too_large',
        `the body has ${data.length} bytes; requests.maxBodyBytes is ${maxBodyBytes}`,
      ),
    );
  }
  if (declared === undefined) {
    return refuse(
      new RequestRefusal(
        'unsupported_content_type',
        `Content-Type ${JSON.stringify(clipText(contentType ?? '', 64))}: send application/json or application/msgpack`,
      ),
    );
  }
  if (data.length === 0) return { ok: true, encoding, value: undefined };
  try {
    if (declared === 'msgpack') return { ok: true, encoding, value: unpackr.unpack(data) as unknown };
    return { ok: true, encoding, value: JSON.parse(utf8.decode(data)) as unknown };
  } catch (err) {
    const why = err instanceof Error ? clipText(err.message, 160) : 'unreadable';
    const message =
      declared === 'sniff'
        ? `no Content-Type and the body is not JSON (${why}); send MessagePack with Content-Type: application/msgpack`
        : `the body is not valid ${declared === 'json' ? 'JSON' : 'MessagePack'}: ${why}`;
    return refuse(new RequestRefusal('undecodable', message));
  }
}

/**
 * At most `max` characters of `text` (input echoed in a reply or a log line), with how much was cut, so an echo
 * is never larger than the limit whatever was sent.
 */
export function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} characters)`;
}
