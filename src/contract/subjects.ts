/**
 * Event subjects: `<prefix>.<customer token>.<type>`, and the rule that turns any customer id into a NATS
 * subject token and back.
 *
 * The token keeps `[A-Za-z0-9_-]` verbatim and writes every other character as the `%XX` escapes (upper-case
 * hex) of its UTF-8 bytes, so a token never holds `.`, `*`, `>`, whitespace or control characters and is
 * printable ASCII only. The mapping is a bijection between valid ids and canonical tokens: decoding refuses
 * any token that would not be produced by encoding (`%41`, lower-case hex, a stray `%`, invalid UTF-8).
 */

/** The default subject prefix events are published under: `events.<customer>.<type>`. */
export const DEFAULT_EVENT_PREFIX = 'events';

/**
 * The subject of the engine's clock ticks inside the event stream: `<prefix>.$clock.tick`. `$clock` is not a
 * canonical customer token (`$` is always escaped), so no customer's events can ever be on it.
 */
export function clockTickSubject(prefix: string): string {
  return `${prefix}.$clock.tick`;
}

/**
 * The token that stands for "customer not known" in a dead-letter subject (`<out prefix>.dlq.$unknown`): used when
 * neither the rejected message's subject nor its payload names a customer. `$` is always escaped by
 * {@link customerToken}, so no customer's token can ever be this one (nor `$clock`).
 */
export const UNKNOWN_CUSTOMER_TOKEN = '$unknown';

/**
 * The subject a dead letter is stored on: `<base>.<customer token>` (`base` is `<out prefix>.dlq`), or
 * `<base>.$unknown` ({@link UNKNOWN_CUSTOMER_TOKEN}) when `token` is absent or not a canonical customer token. The
 * token is the one the customer's event subjects use, so a GDPR erase purges the customer's dead letters by subject;
 * consumers of dead letters subscribe to `<base>.>`.
 */
export function deadLetterSubject(base: string, token: string | undefined): string {
  // The canonical check costs one regex test for a verbatim token; it keeps anything that is not a customer's
  // token (a wildcard, a dot, `$unknown` itself) out of the customers' subjects.
  return (
    base +
    '.' +
    (token !== undefined && customerIdFromToken(token) !== undefined ? token : UNKNOWN_CUSTOMER_TOKEN)
  );
}

// Ids made of these characters only are their own token: the common case costs one regex test and no string.
const VERBATIM_ONLY = /^[A-Za-z0-9_-]+$/;
const HEX = '0123456789ABCDEF';
// Fatal: a token whose escapes are not valid UTF-8 (overlong forms, encoded surrogates) is not canonical.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isVerbatim(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    code === 0x5f || // _
    code === 0x2d // -
  );
}

/** `%XX` of every byte value, made once: escaping a byte then costs a table read, not three new strings. */
const ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => '%' + HEX.charAt(byte >> 4) + HEX.charAt(byte & 0x0f),
);

function escapeByte(byte: number): string {
  return ESCAPES[byte]!;
}

/**
 * The subject token of a customer id (see the module comment for the rule). Returns the id itself when it
 * needs no escaping. Valid ids never hold lone surrogates; should one be passed anyway it is written as
 * U+FFFD and does not round-trip.
 */
export function customerToken(customerId: string): string {
  if (VERBATIM_ONLY.test(customerId)) return customerId;
  let out = '';
  for (let i = 0; i < customerId.length; i++) {
    // A run of verbatim characters is appended as one slice (an e-mail address is mostly such runs).
    const run = i;
    while (i < customerId.length && isVerbatim(customerId.charCodeAt(i))) i++;
    if (i > run) out += customerId.slice(run, i);
    if (i === customerId.length) break;
    out += escapeCodePoint(customerId, i);
    if (isSurrogatePair(customerId, i)) i++;
  }
  return out;
}

function isSurrogatePair(s: string, i: number): boolean {
  const code = s.charCodeAt(i);
  const low = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
  return code >= 0xd800 && code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

/** The `%XX` escapes of the UTF-8 bytes of the code point at `i` (U+FFFD for a lone surrogate). */
function escapeCodePoint(s: string, i: number): string {
  let code = s.charCodeAt(i);
  if (isSurrogatePair(s, i)) code = 0x10000 + ((code - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
  else if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
  // UTF-8 by hand: the escapes are built byte by byte anyway, so TextEncoder would only add an array.
  if (code < 0x80) return escapeByte(code);
  if (code < 0x800) return escapeByte(0xc0 | (code >> 6)) + escapeByte(0x80 | (code & 0x3f));
  if (code < 0x10000) {
    return (
      escapeByte(0xe0 | (code >> 12)) +
      escapeByte(0x80 | ((code >> 6) & 0x3f)) +
      escapeByte(0x80 | (code & 0x3f))
    );
  }
  return (
    escapeByte(0xf0 | (code >> 18)) +
    escapeByte(0x80 | ((code >> 12) & 0x3f)) +
    escapeByte(0x80 | ((code >> 6) & 0x3f)) +
    escapeByte(0x80 | (code & 0x3f))
  );
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  // Upper-case only: lower-case hex is not what customerToken writes, hence not canonical.
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/**
 * The customer id a subject token stands for, or `undefined` when the token is not canonical: empty, holding a
 * character outside `[A-Za-z0-9_%-]`, a malformed or lower-case escape, escapes that are not valid UTF-8, or an
 * escape of a character that is written verbatim. `customerToken(customerIdFromToken(t)) === t` for every
 * token it accepts.
 */
export function customerIdFromToken(token: string): string | undefined {
  if (token.length === 0) return undefined;
  if (VERBATIM_ONLY.test(token)) return token;
  const bytes = new Uint8Array(token.length);
  let n = 0;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const hi = hexValue(token.charCodeAt(i + 1));
      const lo = hexValue(token.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes[n++] = (hi << 4) | lo;
      i += 2;
    } else if (isVerbatim(code)) {
      bytes[n++] = code;
    } else {
      return undefined;
    }
  }
  let id: string;
  try {
    id = utf8.decode(bytes.subarray(0, n));
  } catch {
    return undefined;
  }
  // Canonical means "exactly what encoding writes": this refuses %41 for 'A' and similar aliases.
  return customerToken(id) === token ? id : undefined;
}

/**
 * The subject an event is published on: `<prefix>.<customerToken(customerId)>.<type>`.
 * @param prefix subject prefix, may itself hold dots; default {@link DEFAULT_EVENT_PREFIX} (pass `undefined`).
 */
export function eventSubject(
  prefix: string = DEFAULT_EVENT_PREFIX,
  customerId: string,
  type: string,
): string {
  return prefix + '.' + customerToken(customerId) + '.' + type;
}

/**
 * Splits an event subject into its customer id and type, or `undefined` when it is not
 * `<prefix>.<canonical token>.<type>` with exactly one token after the customer and a non-empty type.
 * The type is not checked against the catalog here; validation does that on the payload.
 */
export function parseEventSubject(
  prefix: string = DEFAULT_EVENT_PREFIX,
  subject: string,
): { customerId: string; type: string } | undefined {
  const start = prefix.length + 1;
  if (subject.length <= start || !subject.startsWith(prefix) || subject.charCodeAt(prefix.length) !== 0x2e) {
    return undefined;
  }
  const dot = subject.indexOf('.', start);
  if (dot < 0 || subject.indexOf('.', dot + 1) >= 0 || dot === subject.length - 1) return undefined;
  const customerId = customerIdFromToken(subject.slice(start, dot));
  if (customerId === undefined) return undefined;
  return { customerId, type: subject.slice(dot + 1) };
}

/**
 * The customer token of an event subject `<prefix>.<canonical token>.<type>` (as {@link parseEventSubject} reads
 * it), or `undefined` when the subject is not one. For a partitioned stream pass the partition's prefix
 * (`<prefix>.<partition>`, see partitionEventPrefix). Not on the hot path: it names a rejected message's customer.
 */
export function customerTokenOfSubject(prefix: string, subject: string): string | undefined {
  // parseEventSubject allows exactly one dot after the token: the last dot ends it.
  return parseEventSubject(prefix, subject) === undefined
    ? undefined
    : subject.slice(prefix.length + 1, subject.lastIndexOf('.'));
}

/**
 * Whether `subject` is exactly `eventSubject(prefix, customerId, type)`, without building that string when
 * the id needs no escaping (the decode hot path calls this once per event).
 */
export function isEventSubject(prefix: string, subject: string, customerId: string, type: string): boolean {
  const token = customerToken(customerId);
  const typeAt = prefix.length + token.length + 2;
  return (
    subject.length === typeAt + type.length &&
    subject.startsWith(prefix) &&
    subject.charCodeAt(prefix.length) === 0x2e &&
    subject.startsWith(token, prefix.length + 1) &&
    subject.charCodeAt(typeAt - 1) === 0x2e &&
    subject.endsWith(type)
  );
}
