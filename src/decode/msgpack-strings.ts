/**
 * UTF-8 checks of MessagePack strings. msgpackr (like a non-fatal TextDecoder) decodes invalid UTF-8 by putting
 * U+FFFD in place of the bad bytes, so `"a\xff"` and `"a\xfe"` would both become the customer `"a\uFFFD"`: two
 * producers' ids collapsed into one. The JSON path refuses the same bytes (fatal TextDecoder); these checks let
 * the MessagePack path refuse them too, as `undecodable`.
 */

/** {@link firstInvalidString}: every string in the payload is well-formed UTF-8. */
export const STRINGS_VALID = -1;
/**
 * {@link firstInvalidString}: the walk met a MessagePack extension type (or the never-used byte 0xc1) before the
 * end. msgpackr gives several extensions meanings of its own (bundled strings, records, references), so past one
 * the bytes can no longer be matched to the strings msgpackr produced; see {@link hasReplacementChar}.
 */
export const STRINGS_UNVERIFIED = -2;

/**
 * Walks one MessagePack value (the whole payload, already unpacked successfully) and checks the bytes of every
 * string (fixstr, str 8/16/32, map keys included) as UTF-8. Returns {@link STRINGS_VALID}, the byte offset of the
 * first string whose bytes are not well-formed UTF-8, or {@link STRINGS_UNVERIFIED}.
 *
 * Iterative with one counter of values still to read (a map of n entries adds 2n, an array n), so nesting depth
 * costs nothing; every step advances through the bytes, so the walk is O(bytes) whatever the headers claim.
 * Cost: ~140 ns for a typical 128-byte event (msgpackr's unpack of it: ~500 ns), mostly the scan of string bytes.
 */
export function firstInvalidString(data: Uint8Array): number {
  const end = data.length;
  let pos = 0;
  let pending = 1;
  while (pending > 0) {
    if (pos >= end) return STRINGS_UNVERIFIED;
    pending--;
    const b = data[pos++]!;
    // One table lookup settles every scalar (fixints, nil, booleans, numbers): skip its fixed-size body.
    const skip = SCALAR_BODY[b]!;
    if (skip >= 0) {
      pos += skip;
      continue;
    }
    let len: number;
    if (b <= 0x8f) {
      pending += 2 * (b & 0x0f); // fixmap
      continue;
    } else if (b <= 0x9f) {
      pending += b & 0x0f; // fixarray
      continue;
    } else if (b <= 0xbf) {
      len = b & 0x1f; // fixstr
    } else if (b === 0xd9) {
      len = uint(data, pos, 1);
      pos += 1;
    } else if (b === 0xda) {
      len = uint(data, pos, 2);
      pos += 2;
    } else if (b === 0xdb) {
      len = uint(data, pos, 4);
      pos += 4;
    } else if (b === 0xc4) {
      pos += 1 + uint(data, pos, 1); // bin 8/16/32: bytes, not text
      continue;
    } else if (b === 0xc5) {
      pos += 2 + uint(data, pos, 2);
      continue;
    } else if (b === 0xc6) {
      pos += 4 + uint(data, pos, 4);
      continue;
    } else if (b === 0xdc || b === 0xde) {
      pending += (b === 0xde ? 2 : 1) * uint(data, pos, 2); // array 16, map 16
      pos += 2;
      continue;
    } else if (b === 0xdd || b === 0xdf) {
      pending += (b === 0xdf ? 2 : 1) * uint(data, pos, 4); // array 32, map 32
      pos += 4;
      continue;
    } else {
      return STRINGS_UNVERIFIED; // 0xc1, ext 8/16/32, fixext 1..16
    }
    const stop = pos + len;
    if (stop > end) return STRINGS_UNVERIFIED;
    // Inline ASCII scan (ids, keys and types are ASCII nearly always): the full check only from a high byte on.
    let i = pos;
    while (i < stop && data[i]! < 0x80) i++;
    if (i < stop && !isWellFormedUtf8(data, i, stop)) return pos;
    pos = stop;
  }
  return STRINGS_VALID;
}

/**
 * For each lead byte of a scalar, the size of its body (0 for fixints, nil and booleans; 1..8 for numbers); -1 for
 * everything else (containers, strings, bins, extensions).
 */
const SCALAR_BODY: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let b = 0x00; b <= 0x7f; b++) t[b] = 0;
  for (let b = 0xe0; b <= 0xff; b++) t[b] = 0;
  t[0xc0] = t[0xc2] = t[0xc3] = 0;
  t[0xcc] = t[0xd0] = 1;
  t[0xcd] = t[0xd1] = 2;
  t[0xca] = t[0xce] = t[0xd2] = 4;
  t[0xcb] = t[0xcf] = t[0xd3] = 8;
  return t;
})();

/** A big-endian unsigned integer of `size` (1, 2 or 4) bytes at `pos`; 0 past the end (the walk then stops). */
function uint(data: Uint8Array, pos: number, size: 1 | 2 | 4): number {
  if (pos + size > data.length) return 0;
  if (size === 1) return data[pos]!;
  if (size === 2) return (data[pos]! << 8) | data[pos + 1]!;
  return data[pos]! * 0x1000000 + ((data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!);
}

/**
 * True when `bytes[start, end)` is well-formed UTF-8 (Unicode's Table 3-7): no stray continuation bytes, no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, nothing cut short. Agrees with a fatal
 * TextDecoder, without building the string; ASCII costs one comparison per byte.
 */
export function isWellFormedUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c < 0xc2) return false; // a continuation byte, or the lead of an overlong 2-byte form
    if (c < 0xe0) {
      if (i + 1 >= end || !isCont(bytes[i + 1]!)) return false;
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (i + 2 >= end) return false;
      const c1 = bytes[i + 1]!;
      if (!isCont(c1) || !isCont(bytes[i + 2]!)) return false;
      if (c === 0xe0 && c1 < 0xa0) return false; // overlong
      if (c === 0xed && c1 >= 0xa0) return false; // a surrogate
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= end) return false;
      const c1 = bytes[i + 1]!;
      if (!isCont(c1) || !isCont(bytes[i + 2]!) || !isCont(bytes[i + 3]!)) return false;
      if (c === 0xf0 && c1 < 0x90) return false; // overlong
      if (c === 0xf4 && c1 >= 0x90) return false; // above U+10FFFF
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

function isCont(b: number): boolean {
  return (b & 0xc0) === 0x80;
}

/** Most values a decoded payload holds: a 64 KiB payload cannot make more; a cap keeps the walk bounded anyway. */
const MAX_VISITED = 1 << 20;

/**
 * True when a string anywhere in a decoded value (object keys and values, arrays, Maps, Sets) contains U+FFFD.
 * The fallback when {@link firstInvalidString} cannot vouch for the bytes: such a payload is refused only if a
 * string could stand for invalid bytes. Iterative, and each object is visited once (msgpackr's reference
 * extension can build cycles).
 */
export function hasReplacementChar(value: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\uFFFD')) return true;
      continue;
    }
    // Typed arrays and buffers (bin, msgpackr's typed-array extension) hold bytes, not strings.
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || seen.has(v)) continue;
    // Past the cap the answer is unknown: say yes, so the payload is refused rather than trusted.
    if (seen.size >= MAX_VISITED) return true;
    seen.add(v);
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
    } else if (v instanceof Set || Array.isArray(v)) {
      for (const x of v as Iterable<unknown>) stack.push(x);
    } else {
      for (const k of Object.keys(v)) stack.push(k, (v as Record<string, unknown>)[k]);
    }
  }
  return false;
}
