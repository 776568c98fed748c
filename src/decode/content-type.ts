/** The payload encodings the engine reads. */
export type PayloadEncoding = 'msgpack' | 'json';

/**
 * The encoding a Content-Type header declares, or `undefined` when it names one the engine does not read.
 * A missing (or blank) header means MessagePack. Accepted, case-insensitively and with any parameters
 * (`; charset=utf-8`): `application/msgpack`, `application/x-msgpack`, `application/json`.
 */
export function payloadEncoding(contentType: string | undefined): PayloadEncoding | undefined {
  // Exact matches first: producers send one of these verbatim nearly always, and they cost no string work.
  if (contentType === undefined || contentType === 'application/msgpack') return 'msgpack';
  if (contentType === 'application/json') return 'json';
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  switch (mediaType) {
    case '':
      // A header with no media type declares nothing, like no header at all. Parameters alone do not count.
      return semicolon < 0 ? 'msgpack' : undefined;
    case 'application/msgpack':
    case 'application/x-msgpack':
      return 'msgpack';
    case 'application/json':
      return 'json';
    default:
      return undefined;
  }
}
