/**
 * Event files: JSON Lines (`.jsonl`, one CustomerEvent per line) and MessagePack (`.msgpack`, a concatenation
 * of maps), chosen by extension. Writing encodes events; reading streams the file back as RAW messages in
 * batches, so the engine's decode stage validates them exactly like NATS input and a corrupt record reaches the
 * dead-letter subject instead of crashing the reader.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Packr, Unpackr } from 'msgpackr';
import { CUSTOM_TYPE_PATTERN } from '../contract/catalog.js';
import type { CustomerEvent } from '../contract/event.js';
import { MAX_CUSTOMER_ID_LENGTH } from '../contract/event.js';
import { DEFAULT_EVENT_PREFIX, eventSubject } from '../contract/subjects.js';

/** The two event file encodings. */
export type EventFileFormat = 'jsonl' | 'msgpack';

/** One record of an event file, undecoded: what a NATS message would carry. */
export interface RawFileMessage {
  /** `<prefix>.<customer token>.<type>` when the record names a usable customer id and type; else absent. */
  readonly subject?: string;
  /** The record's bytes (a view into the read buffer, not a copy). */
  readonly data: Uint8Array;
  /** `application/json` or `application/msgpack`, by file format. */
  readonly contentType: string;
  /**
   * The record's `ts` as read (not validated), when it has a subject and a numeric ts: lets a reader that needs
   * event-time order check it without decoding (the record was parsed here anyway to build the subject).
   */
  readonly ts?: number;
}

/** Options of {@link readEventFile}. */
export interface ReadEventFileOptions {
  /** Records per yielded batch (the last batch may be smaller). @default 1000 */
  readonly batchSize?: number;
  /** Subject prefix of the built subjects. @default 'events' */
  readonly subjectPrefix?: string;
  /** Longest record kept whole; a longer line or an undecodable msgpack region is cut at this size. @default 4 MiB */
  readonly maxRecordBytes?: number;
}

/** The format of a file by its extension (`.jsonl`/`.ndjson` or `.msgpack`/`.mpk`), or undefined. */
export function eventFileFormat(path: string): EventFileFormat | undefined {
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  if (/\.(msgpack|mpk)$/i.test(path)) return 'msgpack';
  return undefined;
}

function formatOf(path: string): EventFileFormat {
  const format = eventFileFormat(path);
  if (format === undefined) throw new RangeError(`event file ${path}: extension must be .jsonl or .msgpack`);
  return format;
}

/** Events to write: one array, or batches from a (possibly async) iterable such as the simulator's. */
export type EventSource =
  readonly CustomerEvent[] | Iterable<readonly CustomerEvent[]> | AsyncIterable<readonly CustomerEvent[]>;

/**
 * Writes events to `path` (format by extension, the file replaced), streaming with back-pressure.
 * Resolves to the events and bytes written. Throws a RangeError for an unknown extension, and I/O errors as is.
 */
export async function writeEventFile(
  path: string,
  events: EventSource,
): Promise<{ events: number; bytes: number }> {
  const format = formatOf(path);
  // Plain maps (no msgpackr records extension), so any MessagePack decoder reads the file.
  const packr = new Packr({ useRecords: false });
  const totals = { events: 0, bytes: 0 };
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const batch of batchesOf(events)) {
      if (batch.length === 0) continue;
      const chunk =
        format === 'jsonl'
          ? Buffer.from(batch.map((e) => JSON.stringify(e)).join('\n') + '\n', 'utf8')
          : Buffer.concat(batch.map((e) => packr.pack(e)));
      totals.events += batch.length;
      totals.bytes += chunk.length;
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return totals;
}

async function* batchesOf(events: EventSource): AsyncGenerator<readonly CustomerEvent[]> {
  if (Array.isArray(events) && (events.length === 0 || !Array.isArray(events[0]))) {
    // Slices bound the size of one encoded chunk for a very large array.
    const flat = events as readonly CustomerEvent[];
    for (let i = 0; i < flat.length; i += 10_000) yield flat.slice(i, i + 10_000);
    return;
  }
  yield* events as AsyncIterable<readonly CustomerEvent[]> | Iterable<readonly CustomerEvent[]>;
}

const TYPE_RE = new RegExp(CUSTOM_TYPE_PATTERN);

/** A record of a parsed value: with its subject and numeric `ts` when it has them. */
function rawRecord(prefix: string, value: unknown, data: Buffer, contentType: string): RawFileMessage {
  const subject = subjectOf(prefix, value);
  if (subject === undefined) return { data, contentType };
  const ts = (value as { ts?: unknown }).ts;
  // A 64-bit integer may read as a BigInt here; the decode stage reads it as a number.
  const time = typeof ts === 'number' ? ts : typeof ts === 'bigint' ? Number(ts) : undefined;
  return time === undefined ? { subject, data, contentType } : { subject, data, contentType, ts: time };
}

/** The subject of a decoded record, when its customerId and type can form a valid one. */
function subjectOf(prefix: string, value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { customerId, type } = value as { customerId?: unknown; type?: unknown };
  if (
    typeof customerId !== 'string' ||
    customerId.length === 0 ||
    customerId.length > MAX_CUSTOMER_ID_LENGTH
  ) {
    return undefined;
  }
  if (typeof type !== 'string' || !TYPE_RE.test(type)) return undefined;
  return eventSubject(prefix, customerId, type);
}

/**
 * Reads an event file as batches of raw records. Streams: memory stays at about one read chunk plus one batch
 * whatever the file size. Blank lines are skipped; every other line or msgpack value becomes one record, valid
 * or not; an undecodable msgpack region becomes one record and reading resumes at the next event-like map.
 */
export async function* readEventFile(
  path: string,
  opts: ReadEventFileOptions = {},
): AsyncGenerator<RawFileMessage[]> {
  const format = formatOf(path);
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const prefix = opts.subjectPrefix ?? DEFAULT_EVENT_PREFIX;
  const maxRecord = opts.maxRecordBytes ?? 4 * 1024 * 1024;
  const splitter =
    format === 'jsonl' ? new JsonlSplitter(prefix, maxRecord) : new MsgpackSplitter(prefix, maxRecord);
  let ready: RawFileMessage[] = [];
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    splitter.push(chunk as Buffer, ready);
    if (ready.length >= batchSize) {
      const whole = ready.length - (ready.length % batchSize);
      for (let i = 0; i < whole; i += batchSize) yield ready.slice(i, i + batchSize);
      ready = ready.slice(whole);
    }
  }
  splitter.end(ready);
  for (let i = 0; i < ready.length; i += batchSize) yield ready.slice(i, i + batchSize);
}

/** Cuts JSON Lines into records; carries a partial line over to the next chunk. */
class JsonlSplitter {
  private carry: Buffer | undefined;
  private skipping = false;
  constructor(
    private readonly prefix: string,
    private readonly maxRecord: number,
  ) {}

  push(chunk: Buffer, out: RawFileMessage[]): void {
    let buf = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = undefined;
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      if (this.skipping) this.skipping = false;
      else this.line(buf, start, nl, out);
      start = nl + 1;
    }
    if (start < buf.length) {
      buf = buf.subarray(start);
      // An endless line is cut: its first maxRecord bytes go out as one record, the rest up to the newline is
      // dropped, so one bad line cannot hold the whole file in memory.
      if (buf.length > this.maxRecord && !this.skipping) {
        this.line(buf, 0, this.maxRecord, out);
        this.skipping = true;
      } else if (!this.skipping) this.carry = buf;
    }
  }

  end(out: RawFileMessage[]): void {
    if (this.carry !== undefined) this.line(this.carry, 0, this.carry.length, out);
    this.carry = undefined;
  }

  private line(buf: Buffer, start: number, end: number, out: RawFileMessage[]): void {
    if (end > start && buf[end - 1] === 13) end--; // CRLF files
    let blank = true;
    for (let i = start; i < end && blank; i++) blank = buf[i] === 32 || buf[i] === 9;
    if (blank) return;
    const data = buf.subarray(start, end);
    let value: unknown;
    try {
      value = JSON.parse(data.toString('utf8'));
    } catch {
      value = undefined; // not JSON: the decode stage dead-letters it as undecodable
    }
    out.push(rawRecord(this.prefix, value, data, 'application/json'));
  }
}

interface UnpackError {
  readonly incomplete?: boolean;
  readonly lastPosition?: number;
}

/** A map that looks like the start of an event: where reading resumes after a corrupt region. */
function isEventLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('customerId' in value || 'type' in value);
}

/**
 * Cuts a MessagePack stream into top-level values, each one record. MessagePack has no record separator, so a
 * corrupt byte desynchronises the stream: the bytes from there to the next map that decodes to an event-like
 * object become one record (the decode stage dead-letters it) and reading goes on from that map.
 */
class MsgpackSplitter {
  private readonly unpackr = new Unpackr({ useRecords: false });
  private carry: Buffer | undefined;
  constructor(
    private readonly prefix: string,
    private readonly maxRecord: number,
  ) {}

  push(chunk: Buffer, out: RawFileMessage[]): void {
    const buf = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    const pos = this.consume(buf, false, out);
    this.carry = pos < buf.length ? buf.subarray(pos) : undefined;
  }

  end(out: RawFileMessage[]): void {
    if (this.carry !== undefined) this.consume(this.carry, true, out);
    this.carry = undefined;
  }

  /** Emits every record of `buf` it can; returns where the unconsumed tail starts. */
  private consume(buf: Buffer, atEnd: boolean, out: RawFileMessage[]): number {
    let pos = 0;
    while (pos < buf.length) {
      const base = pos;
      try {
        this.unpackr.unpackMultiple(buf.subarray(base), (value: unknown, start = 0, end = 0) => {
          this.record(buf.subarray(base + start, base + end), value, out);
          pos = base + end;
        });
        return buf.length;
      } catch (err) {
        const at = base + ((err as UnpackError).lastPosition ?? pos - base);
        const incomplete = (err as UnpackError).incomplete === true;
        if (incomplete && !atEnd && buf.length - at <= this.maxRecord) return at; // wait for more bytes
        const next = this.resync(buf, at + 1, atEnd);
        if (next < 0) return at;
        this.record(buf.subarray(at, next), undefined, out);
        pos = next;
      }
    }
    return pos;
  }

  /**
   * The next offset after `from` where an event-like map decodes completely; buf.length when there is none and
   * no more bytes can come (or the junk already exceeds maxRecord); -1 when more bytes are needed to decide.
   */
  private resync(buf: Buffer, from: number, atEnd: boolean): number {
    for (let q = from; q < buf.length; q++) {
      const b = buf[q] ?? 0;
      if (!((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf)) continue; // not a map header
      let found = false;
      try {
        this.unpackr.unpackMultiple(buf.subarray(q), (value: unknown) => {
          found = isEventLike(value);
          return false; // the first value is all we need
        });
      } catch (err) {
        if ((err as UnpackError).incomplete === true && !atEnd && buf.length - from <= this.maxRecord)
          return -1;
      }
      if (found) return q;
    }
    return atEnd || buf.length - from > this.maxRecord ? buf.length : -1;
  }

  private record(data: Buffer, value: unknown, out: RawFileMessage[]): void {
    out.push(rawRecord(this.prefix, value, data, 'application/msgpack'));
  }
}
