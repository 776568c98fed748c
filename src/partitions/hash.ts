/**
 * The partition NATS gives a customer: the account mapping `{{partition(P,1)}}` hashes the customer token with
 * 32-bit FNV-1a and takes it modulo P (nats-server `subjectTransform.getHashPartition`: `fnv.New32a()` over the
 * token's bytes, `Sum32() % P`). Computing the same number here lets the engine check that a stored event sits in
 * the partition its customer belongs to, and lets producers or tools find a customer's partition without a server.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/**
 * 32-bit FNV-1a of a string's UTF-8 bytes, as an unsigned integer (Go's `hash/fnv` `New32a`).
 * Customer tokens are printable ASCII (see `customerToken`), so the bytes are the char codes and no array is built.
 */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return fnv1a32Bytes(utf8.encode(text));
    // Math.imul keeps the product in 32 bits, as Go's uint32 multiplication does.
    hash = Math.imul(hash ^ code, FNV_PRIME);
  }
  return hash >>> 0;
}

/** 32-bit FNV-1a of bytes, unsigned. */
export function fnv1a32Bytes(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME);
  return hash >>> 0;
}

/**
 * The partition (0..count-1) nats-server's mapping `{{partition(count,1)}}` puts a customer token in.
 * @param token the customer token as it appears in the subject (`customerToken(customerId)`), not the raw id
 * @param count P, the number of partitions (an integer >= 1)
 */
export function partitionOfToken(token: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`partition count must be an integer >= 1, got ${count}`);
  }
  return fnv1a32(token) % count;
}
