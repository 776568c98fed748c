import { Unpackr } from 'msgpackr';
import type { PayloadEncoding } from './content-type.js';

/**
 * Why a payload could not be decoded. Returned, never thrown, so one bad message cannot end the stream;
 * a class (not a tagged object) because `instanceof` cannot collide with any decoded payload.
 */
export class Undecodable {
  constructor(
    /** The decoder's complaint, for the dead-letter detail. */
    readonly message: string,
  ) {}
}

// Created once: msgpackr compiles per-instance state, and TextDecoder construction is not free.
// - useRecords: false / mapsAsObjects: true: plain objects only, the MessagePack every other language writes.
// - int64AsType: 'number': producers in other languages write epoch-ms timestamps as int64/uint64; they must
//   arrive as numbers (exact below 2^53), not BigInt, or every ts would fail the schema.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
// fatal: invalid UTF-8 is `undecodable`, not text with U+FFFD silently substituted.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Decodes one payload: MessagePack (exactly one value filling the bytes) or UTF-8 JSON (a leading BOM is
 * skipped). Returns the decoded value, or an {@link Undecodable} saying why not.
 */
export function decodePayload(data: Uint8Array, encoding: PayloadEncoding): unknown {
  try {
    if (encoding === 'json') return JSON.parse(utf8.decode(data)) as unknown;
    // msgpackr throws on empty input, truncated input and trailing bytes after the first value.
    return unpackr.unpack(data) as unknown;
  } catch (error) {
    return new Undecodable(messageOf(error));
  }
}
