import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { pino } from 'pino';
import {
  decodeSnapshot,
  encodeSnapshot,
  openSnapshotStore,
  type SnapshotContent,
} from '../../src/snapshot/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

const log = pino({ level: 'silent' });
let fx: NatsFixture;
beforeAll(async () => (fx = await natsFixture()));
afterAll(async () => fx[Symbol.asyncDispose]());

/** A snapshot of about `mb` MB whose every column kind holds a recognisable pattern. */
function big(streamSeq: number, mb: number): SnapshotContent {
  const n = Math.round((mb * 1e6) / 8);
  const f64 = new Float64Array(n).map((_, i) => i * 0.5 + streamSeq);
  const u8 = new Uint8Array(1_001).map((_, i) => i & 0xff);
  const i16 = new Int16Array(333).map((_, i) => -i);
  return {
    streamSeq,
    partition: 0,
    createdAtMs: 7,
    arrays: { 'a.small': u8, 'a.f64': f64, 'a.i16': i16 },
    json: { 'a.ids': ['x', 'y'], 'a.clock': 1 },
  };
}

/** Content equality without vitest walking every element of a large column: kinds and bytes of each. */
function expectSame(actual: SnapshotContent | undefined, expected: SnapshotContent): void {
  const bytesOf = (c: SnapshotContent) =>
    Object.fromEntries(
      Object.entries(c.arrays).map(([k, a]) => [
        k,
        `${a.constructor.name}:${Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')}`,
      ]),
    );
  expect(actual === undefined ? undefined : { ...actual, arrays: bytesOf(actual) }).toEqual({
    ...expected,
    arrays: bytesOf(expected),
  });
}

/** The bytes of an encoded snapshot as written before the header was padded: the payload right after the JSON. */
function unpadded(bytes: Uint8Array): Uint8Array {
  const headLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const text = new TextDecoder().decode(bytes.subarray(12, 12 + headLen)).trimEnd();
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(12 + head.length + bytes.length - 12 - headLen);
  out.set(bytes.subarray(0, 8), 0);
  new DataView(out.buffer).setUint32(8, head.length, true);
  out.set(head, 12);
  out.set(bytes.subarray(12 + headLen), 12 + head.length);
  return out;
}

describe('snapshot format: alignment', () => {
  it('pads the header so the payload is 8-byte aligned, and decodes the columns in place', () => {
    const content = big(5, 0.01);
    const bytes = encodeSnapshot(content);
    const headLen = new DataView(bytes.buffer).getUint32(8, true);
    expect((12 + headLen) % 8).toBe(0);
    const back = decodeSnapshot(bytes, 'x');
    expect(back).toEqual(content);
    expect(back.arrays['a.f64']?.buffer).toBe(bytes.buffer);
  });
  it('reads a snapshot without the padding (written before it) the same, by copy', () => {
    const content = big(6, 0.01);
    const old = unpadded(encodeSnapshot(content));
    expect(old.length % 8).not.toBe(encodeSnapshot(content).length % 8);
    const back = decodeSnapshot(old, 'x');
    expect(back).toEqual(content);
    expect(back.arrays['a.f64']?.buffer).not.toBe(old.buffer);
  });
  it('copies a column that lies unaligned in the caller buffer', () => {
    const content = big(7, 0.01);
    const bytes = encodeSnapshot(content);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeSnapshot(shifted.subarray(3), 'x')).toEqual(content);
  });
});

describe('snapshot store: reading', () => {
  it('writes 1 MiB chunks and reads a multi-chunk snapshot back exactly, also one the library wrote in 128 KiB chunks', async () => {
    const bucket = uniqueName('snapread');
    const store = await openSnapshotStore({ nc: fx.nc, bucket, series: 'e', partition: 0, keep: 3, log });
    const content = big(10, 3.5);
    const written = await store.write(content);
    const os = await new Objm(fx.nc).open(bucket);
    const info = await os.info(written.name);
    expect(info?.chunks).toBe(Math.ceil(written.bytes / (1024 * 1024)));
    const loaded = await store.loadNewest();
    expect(loaded.name).toBe(written.name);
    expectSame(loaded.name === undefined ? undefined : loaded.content, content);
    // An object of the object store's default chunking (snapshots written before): read the same.
    const older = big(20, 1.2);
    await os.putBlob({ name: 'e/p0/0000000000000020' }, encodeSnapshot(older));
    expect((await os.info('e/p0/0000000000000020'))?.chunks).toBeGreaterThan(8);
    const again = await store.loadNewest();
    expect(again.name).toBe('e/p0/0000000000000020');
    expectSame(again.name === undefined ? undefined : again.content, older);
  });

  it('refuses a snapshot with a chunk missing or one whose bytes do not match its digest, and falls back', async () => {
    const bucket = uniqueName('snapread');
    const store = await openSnapshotStore({ nc: fx.nc, bucket, series: 'e', partition: 0, keep: 5, log });
    await store.write(big(1, 0.5));
    const good = big(2, 0.5);
    await store.write(good);
    const os = await new Objm(fx.nc).open(bucket);
    const jsm = await jetstreamManager(fx.nc);
    // Newest: its chunks purged behind the object store's back.
    const lost = await store.write(big(4, 2.5));
    const lostInfo = await os.info(lost.name);
    await jsm.streams.purge(`OBJ_${bucket}`, { filter: `$O.${bucket}.C.${lostInfo?.nuid ?? ''}` });
    // Next newest: one chunk replaced by other bytes of the same length.
    const bad = await store.write(big(3, 2.5));
    const badInfo = await os.info(bad.name);
    const chunkSubject = `$O.${bucket}.C.${badInfo?.nuid ?? ''}`;
    const first = await jsm.streams.getMessage(`OBJ_${bucket}`, { last_by_subj: chunkSubject });
    const forged = Uint8Array.from(first?.data ?? []).fill(1);
    await jsm.streams.deleteMessage(`OBJ_${bucket}`, first?.seq ?? 0);
    await fx.nc.request(chunkSubject, forged);
    const loaded = await store.loadNewest();
    expect(loaded.skipped.map((s) => s.name)).toEqual([lost.name, bad.name]);
    expect(loaded.skipped[0]?.reason).toMatch(/0 of \d+ chunks stored/);
    expect(loaded.skipped[1]?.reason).toMatch(/digest mismatch/);
    expectSame(loaded.name === undefined ? undefined : loaded.content, good);
  });
});
