import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { jetstream, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import { DeadLetterHeaders, type ScoreUpdate } from '../../src/contract/score-update.js';
import { customerToken } from '../../src/contract/subjects.js';
import { consoleSink, fileSink, natsSink } from '../../src/publish/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';
import { waitFor } from '../helpers/engine.js';
import { junk, rejection, scoreUpdate } from './fixtures.js';

let dir = '';
let fx: NatsFixture;
let jsm: JetStreamManager;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-sinks-'));
  fx = await natsFixture();
  jsm = await jetstreamManager(fx.nc);
});
afterAll(async () => {
  await fx[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

let fileNo = 0;
const outFile = (): string => path.join(dir, `scores-${++fileNo}.jsonl`);

/** The JSON lines of a file, as a consumer reads them (a partial last line fails the parse). */
async function jsonLines(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
}

const ids = ['ann@example.com', 'bob.smith', 'plain_id-1', 'zoë ünïcode', 'a*b>c d'];

describe('fileSink', () => {
  it('writes one JSON line per score update, and flush resolves once they are in the file', async () => {
    const file = outFile();
    const sink = fileSink(file);
    const updates = ids.map((id, i) => scoreUpdate(id, { seq: i + 1 }));
    sink.publishScores(updates.slice(0, 2));
    sink.publishScores([]);
    sink.publishScores(updates.slice(2));
    await sink.flush();
    expect(await jsonLines(file)).toEqual(updates);
    await sink.close();
  });

  it('writes each dead letter to <path>.dlq.jsonl with its reason, subject, stream sequence and base64 bytes', async () => {
    const file = outFile();
    const sink = fileSink(file);
    const dead = [
      rejection(7, junk(1)),
      rejection(9, new TextEncoder().encode('{"customerId":"x","type":"nps","value":11}'), {
        reason: 'out_of_range',
        detail: 'value: 11, nps is 0..10',
        subject: 'events.x.nps',
      }),
    ];
    await sink.deadLetter(dead);
    await sink.flush();
    const lines = (await jsonLines(`${file}.dlq.jsonl`)) as Array<Record<string, unknown>>;
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => {
      const r = dead[i]!;
      expect(line).toMatchObject({
        reason: r.reason,
        detail: r.detail,
        subject: r.subject,
        streamSeq: r.streamSeq,
      });
      expect(new Uint8Array(Buffer.from(line['data'] as string, 'base64'))).toEqual(r.data);
    });
    // Dead letters never land among the score updates.
    expect(await readFile(file, 'utf8')).toBe('');
    await sink.close();
  });

  it('close resolves after a large backlog of updates and dead letters is in the files, in order', async () => {
    const file = outFile();
    const sink = fileSink(file);
    const batches = 20;
    const perBatch = 500;
    for (let b = 0; b < batches; b++) {
      sink.publishScores(
        Array.from({ length: perBatch }, (_, i) =>
          scoreUpdate(`customer-${i}`, {
            seq: b + 1,
            reasons: [{ feature: 'x'.repeat(100), direction: 'up', weight: 1 }],
          }),
        ),
      );
    }
    const dlqDone = sink.deadLetter(Array.from({ length: 300 }, (_, i) => rejection(i + 1, junk(i))));
    await sink.close();
    await dlqDone;
    const lines = (await jsonLines(file)) as ScoreUpdate[];
    expect(lines).toHaveLength(batches * perBatch);
    expect(lines.map((u) => u.seq)).toEqual(
      Array.from({ length: batches * perBatch }, (_, i) => Math.floor(i / perBatch) + 1),
    );
    const dlq = (await jsonLines(`${file}.dlq.jsonl`)) as Array<{ streamSeq: number }>;
    expect(dlq.map((d) => d.streamSeq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('reports a file it cannot write through flush, not as an unhandled error', async () => {
    const sink = fileSink(path.join(dir, 'no-such-dir', 'scores.jsonl'));
    sink.publishScores([scoreUpdate('ann')]);
    await expect(sink.flush()).rejects.toThrow(/ENOENT/);
  });
});

/** A Writable that keeps what was written, line by line. */
function lineCollector(): Writable & { lines: string[] } {
  const lines: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  return Object.assign(w, { lines });
}

describe('consoleSink', () => {
  it('prints at most maxLinesPerSec score lines per second of its clock, earliest first', () => {
    const out = lineCollector();
    let now = 10_000;
    const sink = consoleSink({ out, maxLinesPerSec: 3, clock: () => now });
    const u = (n: number) => scoreUpdate(`c${n}`, { seq: n });
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => u(from + i));

    sink.publishScores(batch(1, 2)); // 10.0 s: 2 printed
    now = 10_400;
    sink.publishScores(batch(3, 5)); // 10.4 s: 1 more (3 in this second), 4 dropped
    now = 10_999;
    sink.publishScores(batch(8, 1)); // 10.999 s: none
    expect(out.lines).toHaveLength(3);
    now = 11_000;
    sink.publishScores(batch(9, 5)); // next second: 3
    now = 11_500;
    sink.publishScores(batch(14, 2)); // none
    now = 25_000;
    sink.publishScores(batch(16, 2)); // much later: both
    expect(out.lines.map((l) => l.split(' ')[0])).toEqual(new Array(8).fill('score'));
    const printed = out.lines.map((l) => JSON.parse(l.slice('score '.length)) as ScoreUpdate);
    expect(printed.map((p) => p.seq)).toEqual([1, 2, 3, 9, 10, 11, 16, 17]);
    expect(printed[0]).toEqual(u(1));
  });

  it('defaults to 5 score lines per second', () => {
    const out = lineCollector();
    const sink = consoleSink({ out, clock: () => 5_000 });
    sink.publishScores(Array.from({ length: 12 }, (_, i) => scoreUpdate(`c${i}`)));
    sink.publishScores([scoreUpdate('late')]);
    expect(out.lines).toHaveLength(5);
  });

  it('prints every dead letter, even when the score lines are used up', async () => {
    const out = lineCollector();
    const sink = consoleSink({ out, maxLinesPerSec: 1, clock: () => 1_000 });
    sink.publishScores([scoreUpdate('a'), scoreUpdate('b')]);
    const dead = Array.from({ length: 25 }, (_, i) => rejection(100 + i, junk(i)));
    await sink.deadLetter(dead.slice(0, 10));
    await sink.deadLetter(dead.slice(10));
    await sink.flush();
    const dl = out.lines.filter((l) => l.startsWith('dead-letter '));
    expect(out.lines.filter((l) => l.startsWith('score '))).toHaveLength(1);
    expect(dl).toHaveLength(25);
    dl.forEach((l, i) => {
      const parsed = JSON.parse(l.slice('dead-letter '.length)) as Record<string, unknown>;
      expect(parsed).toMatchObject({ reason: 'undecodable', streamSeq: 100 + i, subject: dead[i]!.subject });
      expect(new Uint8Array(Buffer.from(parsed['data'] as string, 'base64'))).toEqual(dead[i]!.data);
    });
  });
});

describe('natsSink', () => {
  /** Records score messages under a prefix as a subscriber sees them. */
  function record(prefix: string) {
    const got: Array<{ subject: string; contentType: string | undefined; data: Uint8Array }> = [];
    const sub: Subscription = fx.nc.subscribe(`${prefix}.scores.>`, {
      callback: (_err, m) => {
        got.push({ subject: m.subject, contentType: m.headers?.get('Content-Type'), data: m.data });
      },
    });
    return { got, sub };
  }

  const updates = ids.map((id, i) =>
    scoreUpdate(id, {
      seq: 1_760_000_000_000_000 + i,
      churnRisk: 0.0001 * (i + 1),
      reasons: [{ feature: 'days_since_last_purchase', direction: 'up', weight: 0.25 }],
      pAlive: 0.5,
    }),
  );

  it('publishes JSON score updates on <prefix>.scores.<customer token> with Content-Type application/json', async () => {
    const prefix = uniqueName('out').toLowerCase();
    const { got, sub } = record(prefix);
    const sink = natsSink({ nc: fx.nc, js: jetstream(fx.nc), prefix, encoding: 'json' });
    sink.publishScores(updates);
    await sink.flush();
    await waitFor(() => got.length >= updates.length, 5_000, 'score messages');
    sub.unsubscribe();
    expect(got.map((g) => g.subject)).toEqual(ids.map((id) => `${prefix}.scores.${customerToken(id)}`));
    for (const [i, g] of got.entries()) {
      expect(g.contentType).toBe('application/json');
      expect(JSON.parse(new TextDecoder().decode(g.data))).toEqual(updates[i]);
    }
  });

  it('publishes MessagePack score updates that an independent decoder reads back', async () => {
    const prefix = uniqueName('out').toLowerCase();
    const { got, sub } = record(prefix);
    const sink = natsSink({ nc: fx.nc, js: jetstream(fx.nc), prefix, encoding: 'msgpack' });
    sink.publishScores(updates);
    await sink.flush();
    await waitFor(() => got.length >= updates.length, 5_000, 'score messages');
    sub.unsubscribe();
    expect(got.map((g) => g.subject)).toEqual(ids.map((id) => `${prefix}.scores.${customerToken(id)}`));
    for (const [i, g] of got.entries()) {
      expect(g.contentType).toBe('application/msgpack');
      expect(decodeMsgpack(g.data)).toEqual(updates[i]);
    }
  });

  it('resolves deadLetter only after JetStream stored every dead letter, with its reason headers and bytes', async () => {
    const prefix = uniqueName('out').toLowerCase();
    const stream = uniqueName('DLQ');
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.dlq.>`], storage: StorageType.File });
    const sink = natsSink({ nc: fx.nc, js: jetstream(fx.nc), prefix, encoding: 'msgpack' });
    const dead = [
      rejection(11, junk(11)),
      rejection(12, junk(12), {
        reason: 'out_of_range',
        detail: 'value: 11\nnps is 0..10 — "é"',
        subject: 'events.x.nps',
        customerToken: 'x',
      }),
      rejection(13, new TextEncoder().encode('{"oops"'), { contentType: 'application/json' }),
    ];
    await sink.deadLetter(dead);
    expect((await jsm.streams.info(stream)).state.messages).toBe(dead.length);

    for (let seq = 1; seq <= dead.length; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      expect(m).not.toBeNull();
      const streamSeq = Number(m!.header.get(DeadLetterHeaders.streamSeq));
      const r = dead.find((d) => d.streamSeq === streamSeq)!;
      expect(r).toBeDefined();
      // On the customer's dead-letter subject; the fixtures that name no customer on the unknown one.
      expect(m!.subject).toBe(`${prefix}.dlq.${r.customerToken ?? '$unknown'}`);
      expect(m!.header.get(DeadLetterHeaders.reason)).toBe(r.reason);
      expect(m!.header.get(DeadLetterHeaders.subject)).toBe(r.subject);
      const detail = m!.header.get(DeadLetterHeaders.detail);
      expect(detail).toMatch(/^[\x20-\x7e]+$/);
      expect(detail.startsWith(r.detail.slice(0, 9))).toBe(true);
      expect(m!.data).toEqual(r.data);
      if (r.contentType !== undefined)
        expect(m!.header.get(DeadLetterHeaders.contentType)).toBe(r.contentType);
    }

    // The same batch dead-lettered again (a redelivery) is stored once.
    await sink.deadLetter(dead);
    expect((await jsm.streams.info(stream)).state.messages).toBe(dead.length);
  });

  it('rejects deadLetter when no stream stores <prefix>.dlq.>, so the caller does not ack', async () => {
    const prefix = uniqueName('nostream').toLowerCase();
    const sink = natsSink({ nc: fx.nc, js: jetstream(fx.nc, { timeout: 2_000 }), prefix, encoding: 'json' });
    await expect(sink.deadLetter([rejection(1, junk(1))])).rejects.toThrow();
  });
});
