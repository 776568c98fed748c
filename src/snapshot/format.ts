import { createHash } from 'node:crypto';
import { ChurnflowError } from '../contract/codes.js';

/** The snapshot format this engine writes and the only one it reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;
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
 * (little-endian, as the engine holds them), each 8-byte aligned.
 */
export function encodeSnapshot(content: SnapshotContent): Uint8Array {
  const arrays: Header['arrays'] = [];
  let size = 0;
  for (const [name, a] of Object.entries(content.arrays)) {
    arrays.push({ name, kind: a.constructor.name as Kind, offset: size, length: a.length });
    size += Math.ceil(a.byteLength / 8) * 8;
  }
  const payload = new Uint8Array(size);
  arrays.forEach((entry, i) => {
    const a = Object.values(content.arrays)[i] as ColumnArray;
    payload.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), entry.offset);
  });
  const header: Header = {
    format: SNAPSHOT_FORMAT_VERSION,
    streamSeq: content.streamSeq,
    partition: content.partition,
    createdAtMs: content.createdAtMs,
    json: { ...content.json },
    arrays,
    sha256: createHash('sha256').update(payload).digest('hex'),
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(MAGIC.length + 4 + head.length + payload.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, head.length, true);
  out.set(head, MAGIC.length + 4);
  out.set(payload, MAGIC.length + 4 + head.length);
  return out;
}

/**
 * Decodes a snapshot. Refuses, never misreads: SNAPSHOT_UNSUPPORTED for another format version (or not a snapshot
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
    // A copy into its own buffer: aligned for its kind, and independent of the bytes read.
    const out = new Ctor(length);
    new Uint8Array(out.buffer).set(payload.subarray(offset, offset + byteLength));
    arrays[key] = out;
  }
  return {
    streamSeq: header.streamSeq,
    partition: header.partition,
    createdAtMs: header.createdAtMs,
    arrays,
    json: header.json,
  };
}
