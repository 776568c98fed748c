import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { ChurnflowError } from '../contract/codes.js';

/** The snapshot format this engine writes and the only one it reads. */
export const SNAPSHOT_FORMAT_VERSION = 2;
const MAGIC = 'CFSNAP01';

/** Typed arrays a snapshot carries, by kind (the kind is written, so a reader never guesses it). */
export type ColumnArray =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
const KINDS = {
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
};
type Kind = keyof typeof KINDS;

/** Everything one partition's engine keeps, as named columns and small JSON values. */
export interface SnapshotContent {
  /** The last stream sequence applied: the tail starts right after it. */
  readonly streamSeq: number;
  readonly partition: number;
  readonly createdAtMs: number;
  readonly arrays: Readonly<Record<string, ColumnArray>>;
  readonly json: Readonly<Record<string, unknown>>;
}

interface Header {
  readonly format: number;
  readonly streamSeq: number;
  readonly partition: number;
  readonly createdAtMs: number;
  readonly json: Record<string, unknown>;
  readonly arrays: { name: string; kind: Kind; offset: number; length: number }[];
  /** SHA-256 of the payload (the arrays' bytes), hex. */
  readonly sha256: string;
}

/**
 * Encodes a snapshot: the magic `CFSNAP01`, a 4-byte header length, the header (JSON: format version, stream
 * sequence, the JSON values, where each array lies and its kind, the payload's SHA-256), then the arrays' bytes
 * (little-endian, as the engine holds them), each 8-byte aligned. The header is padded with spaces so the payload
 * starts 8-byte aligned too: a reader can then use the columns in place (older snapshots without the padding read
 * the same, by copy).
 */
export function encodeSnapshot(content: SnapshotContent): Uint8Array {
  const columns = Object.entries(content.arrays);
  const arrays: Header['arrays'] = [];
  const hash = createHash('sha256');
  let size = 0;
  for (const [name, a] of columns) {
    arrays.push({ name, kind: a.constructor.name as Kind, offset: size, length: a.length });
    const padded = Math.ceil(a.byteLength / 8) * 8;
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    if (padded > a.byteLength) hash.update(ZEROS.subarray(0, padded - a.byteLength));
    size += padded;
  }
  const header: Header = {
    format: SNAPSHOT_FORMAT_VERSION,
    streamSeq: content.streamSeq,
    partition: content.partition,
    createdAtMs: content.createdAtMs,
    json: { ...content.json },
    arrays,
    sha256: hash.digest('hex'),
  };
  const text = JSON.stringify(header);
  const headLen = Buffer.byteLength(text);
  const start = Math.ceil((MAGIC.length + 4 + headLen) / 8) * 8;
  // One allocation, each column copied once into place (the padding bytes stay zero, as hashed).
  const out = new Uint8Array(start + size);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, start - MAGIC.length - 4, true);
  const written = new TextEncoder().encodeInto(text, out.subarray(MAGIC.length + 4, start));
  out.fill(0x20, MAGIC.length + 4 + written.written, start);
  columns.forEach(([, a], i) => {
    out.set(
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      start + (arrays[i] as Header['arrays'][number]).offset,
    );
  });
  return out;
}

const ZEROS = new Uint8Array(8);

/**
 * Decodes a snapshot. The columns are views of `bytes` where they are aligned for their kind (the caller must not
 * reuse `bytes`), copies otherwise. Refuses, never misreads: SNAPSHOT_UNSUPPORTED for another format version (or not a snapshot
 * at all), SNAPSHOT_CORRUPT for a checksum, size or layout that does not add up.
 */
export function decodeSnapshot(bytes: Uint8Array, name: string): SnapshotContent {
  const corrupt = (why: string): never => {
    throw new ChurnflowError('SNAPSHOT_CORRUPT', `snapshot ${name}: ${why}`, { key: name });
  };
  if (
    bytes.length < MAGIC.length + 4 ||
    new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC
  ) {
    throw new ChurnflowError(
      'SNAPSHOT_UNSUPPORTED',
      `snapshot ${name}: not a churnflow snapshot of format ${SNAPSHOT_FORMAT_VERSION}`,
      { key: name },
    );
  }
  const headLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + headLen > bytes.length) corrupt('truncated header');
  let header: Header;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headLen)),
    ) as Header;
  } catch {
    return corrupt('unreadable header');
  }
  if (header.format !== SNAPSHOT_FORMAT_VERSION) {
    throw new ChurnflowError(
      'SNAPSHOT_UNSUPPORTED',
      `snapshot ${name}: format version ${String(header.format)}, this engine reads ${SNAPSHOT_FORMAT_VERSION}`,
      { key: name },
    );
  }
  const payload = bytes.subarray(MAGIC.length + 4 + headLen);
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) corrupt('checksum mismatch');
  const arrays: Record<string, ColumnArray> = {};
  for (const { name: key, kind, offset, length } of header.arrays) {
    const Ctor = KINDS[kind];
    if (Ctor === undefined) return corrupt(`unknown column kind ${String(kind)}`);
    const byteLength = length * Ctor.BYTES_PER_ELEMENT;
    if (offset < 0 || offset + byteLength > payload.length) corrupt(`column ${key} out of bounds`);
    const at = payload.byteOffset + offset;
    if (at % Ctor.BYTES_PER_ELEMENT === 0) {
      // In place: the column is a view of the bytes read (the caller hands them over; nothing else writes them).
      arrays[key] = new Ctor(payload.buffer as ArrayBuffer, at, length);
    } else {
      // Not aligned for its kind (a snapshot without the header padding): a copy into its own buffer.
      const out = new Ctor(length);
      new Uint8Array(out.buffer).set(payload.subarray(offset, offset + byteLength));
      arrays[key] = out;
    }
  }
  return {
    streamSeq: header.streamSeq,
    partition: header.partition,
    createdAtMs: header.createdAtMs,
    arrays,
    json: header.json,
  };
}
