import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Packr, unpack } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import {
  eventFileFormat,
  readEventFile,
  writeEventFile,
  type RawFileMessage,
} from '../../src/ingest/event-file.js';
import { DAY_MS, createSimulator } from '../../src/simulate/index.js';

const START = Date.UTC(2025, 0, 1);
const sim = createSimulator({ customers: 200, seed: 4, startMs: START });
const events = sim.eventsBetween(START, START + 10 * DAY_MS);
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-event-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(
  file: string,
  batchSize = 1000,
): Promise<{ batches: number[]; records: RawFileMessage[] }> {
  const batches: number[] = [];
  const records: RawFileMessage[] = [];
  for await (const batch of readEventFile(file, { batchSize })) {
    batches.push(batch.length);
    records.push(...batch);
  }
  return { batches, records };
}

const decodeJson = (r: RawFileMessage): unknown => JSON.parse(Buffer.from(r.data).toString('utf8'));
const decodeMsgpack = (r: RawFileMessage): unknown => unpack(r.data);

describe.each([
  ['jsonl', 'application/json', decodeJson],
  ['msgpack', 'application/msgpack', decodeMsgpack],
] as const)('%s event files', (ext, contentType, decode) => {
  it('round-trip events as raw records with subjects, in batches', async () => {
    const file = path.join(dir, `round-trip.${ext}`);
    // Written from the simulator's batches (an iterable), read back in batches of 700.
    const written = await writeEventFile(file, sim.batchesBetween(START, START + 10 * DAY_MS));
    expect(written.events).toBe(events.length);
    expect(written.bytes).toBe((await readFile(file)).length);
    const { batches, records } = await readAll(file, 700);
    expect(batches.slice(0, -1).every((n) => n === 700)).toBe(true);
    expect(records.map(decode)).toEqual(events);
    expect(records.map((r) => r.subject)).toEqual(
      events.map((e) => eventSubject('events', e.customerId, e.type)),
    );
    expect(new Set(records.map((r) => r.contentType))).toEqual(new Set([contentType]));
  });

  it('writes a plain array of events too', async () => {
    const file = path.join(dir, `array.${ext}`);
    await writeEventFile(file, events.slice(0, 50));
    const { records } = await readAll(file);
    expect(records.map(decode)).toEqual(events.slice(0, 50));
  });

  it('reads an empty file as no batch', async () => {
    const file = path.join(dir, `empty.${ext}`);
    await writeEventFile(file, []);
    expect((await readAll(file)).batches).toEqual([]);
  });
});

describe('corrupt input', () => {
  const sample = events.slice(0, 20);

  it('hands a corrupt JSON line over as its raw bytes, without a subject, and keeps reading', async () => {
    const file = path.join(dir, 'corrupt.jsonl');
    const lines = sample.map((e) => JSON.stringify(e));
    const garbage = '{"customerId": "c-1", "type": oops';
    const noType = JSON.stringify({ customerId: 'c-2', ts: 5 });
    lines.splice(5, 0, garbage, '', '   ', noType);
    lines[10] = lines[10] + '\r'; // a CRLF line
    await writeFile(file, lines.join('\n')); // and no newline at the end
    const { records } = await readAll(file);
    expect(records).toHaveLength(sample.length + 2);
    expect(Buffer.from(records[5]!.data).toString()).toBe(garbage);
    expect(records[5]!.subject).toBeUndefined();
    expect(Buffer.from(records[6]!.data).toString()).toBe(noType);
    expect(records[6]!.subject).toBeUndefined();
    const valid = records.filter((_, i) => i !== 5 && i !== 6);
    expect(valid.map(decodeJson)).toEqual(sample);
  });

  it('resynchronises a MessagePack stream after junk bytes and loses no byte', async () => {
    const file = path.join(dir, 'corrupt.msgpack');
    const packr = new Packr({ useRecords: false });
    const packed = sample.map((e) => packr.pack(e));
    // A map with an array key is undecodable as an object: the reader must skip to the next event map.
    const junk = Buffer.from([0x81, 0x91, 0x01, 0x02, 0xc1, 0x13]);
    const truncated = packed[0]!.subarray(0, 9);
    await writeFile(file, Buffer.concat([...packed.slice(0, 7), junk, ...packed.slice(7), truncated]));
    const { records } = await readAll(file);
    const eventLike = records.filter((r) => r.subject !== undefined);
    expect(eventLike.map(decodeMsgpack)).toEqual(sample);
    // Every byte of the file is in exactly one record, in order: nothing is dropped silently.
    expect(Buffer.concat(records.map((r) => r.data))).toEqual(await readFile(file));
    const rest = records.filter((r) => r.subject === undefined).map((r) => Buffer.from(r.data));
    expect(Buffer.concat(rest)).toEqual(Buffer.concat([junk, truncated]));
    expect(rest.at(-1)).toEqual(truncated);
  });

  it('cuts an endless line at maxRecordBytes instead of buffering it whole', async () => {
    const file = path.join(dir, 'long.jsonl');
    const long = 'x'.repeat(3 * 1024 * 1024);
    await writeFile(file, [JSON.stringify(sample[0]), long, JSON.stringify(sample[1])].join('\n') + '\n');
    const records: RawFileMessage[] = [];
    for await (const b of readEventFile(file, { maxRecordBytes: 1024 })) records.push(...b);
    expect(records.map((r) => r.data.length)).toEqual([
      JSON.stringify(sample[0]).length,
      1024,
      JSON.stringify(sample[1]).length,
    ]);
  });
});

describe('formats', () => {
  it('are chosen by extension', async () => {
    expect(eventFileFormat('a/b.jsonl')).toBe('jsonl');
    expect(eventFileFormat('b.NDJSON')).toBe('jsonl');
    expect(eventFileFormat('b.msgpack')).toBe('msgpack');
    expect(eventFileFormat('b.json')).toBeUndefined();
    await expect(writeEventFile(path.join(dir, 'x.csv'), [])).rejects.toThrow(RangeError);
    await expect(readEventFile(path.join(dir, 'x.csv')).next()).rejects.toThrow(RangeError);
  });

  it('stream a large file in bounded batches', async () => {
    const big = createSimulator({ customers: 2000, seed: 8, startMs: START });
    const file = path.join(dir, 'big.msgpack');
    const { events: n } = await writeEventFile(file, big.batchesBetween(START, START + 20 * DAY_MS, DAY_MS));
    let count = 0;
    let largest = 0;
    for await (const batch of readEventFile(file, { batchSize: 5000 })) {
      count += batch.length;
      largest = Math.max(largest, batch.length);
      expect(batch.every((r): r is RawFileMessage & { subject: string } => r.subject !== undefined)).toBe(
        true,
      );
    }
    expect(count).toBe(n);
    expect(n).toBeGreaterThan(40_000);
    expect(largest).toBe(5000);
  });
});
