import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  chooseStartPoint,
  createSnapshotMetrics,
  decodeSnapshot,
  encodeSnapshot,
  openSnapshotStore,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotContent,
} from '../../src/snapshot/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

const log = pino({ level: 'silent' });
let fx: NatsFixture;
beforeAll(async () => (fx = await natsFixture()));
afterAll(async () => fx[Symbol.asyncDispose]());

function content(streamSeq: number): SnapshotContent {
  return {
    streamSeq,
    partition: 0,
    createdAtMs: 1,
    arrays: {
      'store.f64': Float64Array.of(1.5, -1, Infinity, streamSeq),
      'store.small': Uint8Array.of(1, 2, 3),
      'segments.mask': Uint32Array.of(0xffffffff, 7),
    },
    json: { 'store.ids': ['a', '', 'c'], 'timers.clock': 123 },
  };
}

describe('snapshot format', () => {
  it('round-trips every column kind and value exactly', () => {
    const back = decodeSnapshot(encodeSnapshot(content(42)), 'x');
    expect(back).toEqual(content(42));
    expect(back.arrays['store.small']).toBeInstanceOf(Uint8Array);
  });
  it('refuses another format version and a flipped byte, never misreads them', () => {
    const bytes = encodeSnapshot(content(1));
    const future = Uint8Array.from(bytes);
    const text = new TextDecoder().decode(future);
    // Version 1 (before purchase days) and a future version are both refused, never misread.
    const at = text.indexOf(`"format":${SNAPSHOT_FORMAT_VERSION}`);
    for (const other of [1, SNAPSHOT_FORMAT_VERSION + 1]) {
      future.set(new TextEncoder().encode(`"format":${other}`), at);
      expect(() => decodeSnapshot(future, 'x')).toThrow(
        expect.objectContaining({ code: 'SNAPSHOT_UNSUPPORTED' }),
      );
    }
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 0xff;
    expect(() => decodeSnapshot(flipped, 'x')).toThrow(expect.objectContaining({ code: 'SNAPSHOT_CORRUPT' }));
    expect(() => decodeSnapshot(new TextEncoder().encode('hello'), 'x')).toThrow(
      expect.objectContaining({ code: 'SNAPSHOT_UNSUPPORTED' }),
    );
  });
});

describe('snapshot store', () => {
  it('keeps the last K, falls back past a corrupt newest one, and resumes after its sequence', async () => {
    const bucket = uniqueName('snaps');
    const store = await openSnapshotStore({
      nc: fx.nc,
      bucket,
      series: 'engine',
      partition: 0,
      keep: 2,
      log,
    });
    for (const seq of [10, 20, 30]) await store.write(content(seq));
    const os = await new Objm(fx.nc).open(bucket);
    expect(
      (await os.list())
        .filter((o) => !o.deleted)
        .map((o) => o.name)
        .sort(),
    ).toEqual(['engine/p0/0000000000000020', 'engine/p0/0000000000000030']);
    // The newest one is damaged (a crash mid-write of a different kind, a bad disk): the previous one is used.
    await os.putBlob({ name: 'engine/p0/0000000000000040' }, new TextEncoder().encode('CFSNAP01garbage'));
    const metrics = createSnapshotMetrics(new Registry());
    const jsm = await jetstreamManager(fx.nc);
    const stream = uniqueName('EV');
    await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
    for (let i = 0; i < 35; i++)
      await fx.nc.request(`${stream.toLowerCase()}.x.page_view`, 'x').catch(() => undefined);
    const start = await chooseStartPoint({ store, jsm, stream, onGap: 'replay', log, metrics });
    expect(start).toMatchObject({ kind: 'snapshot', name: 'engine/p0/0000000000000030', startSeq: 31 });
    expect(await metrics.refused.get()).toMatchObject({ values: [{ value: 1 }] });
    // The stream lost the messages the snapshot needs next: a full replay, or a refusal when asked.
    await jsm.streams.purge(stream, { seq: 33 });
    expect(await chooseStartPoint({ store, jsm, stream, onGap: 'replay', log, metrics })).toMatchObject({
      kind: 'replay',
    });
    await expect(
      chooseStartPoint({ store, jsm, stream, onGap: 'refuse', log, metrics }),
    ).rejects.toMatchObject({
      code: 'SNAPSHOT_GAP',
    });
  });
});
