import { Unpackr } from 'msgpackr';
import type { PayloadEncoding } from './content-type.js';
import { STRINGS_UNVERIFIED, firstInvalidString, hasReplacementChar } from './msgpack-strings.js';

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
 * Decodes one payload: MessagePack (exactly one value filling the bytes, every string valid UTF-8) or UTF-8 JSON
 * (a leading BOM is skipped). Returns the decoded value, or an {@link Undecodable} saying why not.
 */
export function decodePayload(data: Uint8Array, encoding: PayloadEncoding): unknown {
  try {
    if (encoding === 'json') return JSON.parse(utf8.decode(data)) as unknown;
    // msgpackr throws on empty input, truncated input and trailing bytes after the first value.
    const value = unpackr.unpack(data) as unknown;
    // msgpackr does not validate UTF-8 (it substitutes U+FFFD): check the strings' bytes, as JSON's fatal decoder does.
    const invalidAt = firstInvalidString(data);
    if (invalidAt >= 0) return new Undecodable(`the string at byte ${invalidAt} is not valid UTF-8`);
    if (invalidAt === STRINGS_UNVERIFIED && hasReplacementChar(value)) {
      return new Undecodable('U+FFFD beside extension types: its strings cannot be checked as UTF-8');
    }
    return value;
  } catch (error) {
    return new Undecodable(messageOf(error));
  }
}
