import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, scan, take, timeout } from 'rxjs';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { ensureEventStream, jetStreamSource, type EventStreamSpec } from '../../src/ingest/index.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import { createFlowGate } from '../../src/rx/index.js';
import type { InboundMessage } from '../../src/ingest/types.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';
import { waitFor } from '../helpers/engine.js';

let fx: NatsFixture;
let jsm: JetStreamManager;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  fx = await natsFixture();
  jsm = await jetstreamManager(fx.nc);
});
afterAll(async () => fx[Symbol.asyncDispose]());

function spec(): EventStreamSpec {
  const stream = uniqueName('EV');
  return {
    stream,
    subjects: [`${stream}.>`],
    consumer: uniqueName('c'),
    filterSubject: `${stream}.>`,
    maxAckPending: 10_000,
    ackWaitMs: 2_000,
  };
}

function collect(s: EventStreamSpec, count: number) {
  const source = jetStreamSource({
    js: jetstream(fx.nc),
    jsm,
    spec: s,
    pullBatch: 500,
    log,
    metrics: createEngineMetrics(new Registry()),
  });
  return firstValueFrom(
    source.pipe(
      scan(
        (acc, b) => {
          acc.batches++;
          acc.pending.push([acc.messages.length + b.messages.length, b.pending]);
          acc.messages.push(...b.messages);
          b.ack();
          return acc;
        },
        { batches: 0, messages: [] as InboundMessage[], pending: [] as [number, number | undefined][] },
      ),
      filter((acc) => acc.messages.length >= count),
      take(1),
      timeout(15_000),
    ),
  );
}

describe('jetStreamSource', () => {
  it('creates the stream and consumer, delivers every message in order in batches', async () => {
    const s = spec();
    await ensureEventStream(jsm, s);
    const js = jetstream(fx.nc);
    const n = 3000;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        js.publish(`${s.stream}.c${i % 7}.page_view`, new Uint8Array([i % 256])),
      ),
    );
    const got = await collect(s, n);
    expect(got.messages).toHaveLength(n);
    expect(got.messages.map((m) => m.streamSeq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(got.batches).toBeLessThan(n / 10);
    expect(got.messages[0]?.publishedAtMs).toBeGreaterThan(Date.now() - 60_000);
    // Each batch says how many messages were still behind it: with everything stored beforehand, the rest.
    for (const [delivered, pending] of got.pending) expect(pending).toBe(n - delivered);
  });

  it('one ack per batch acknowledges all of it: a restarted consumer resumes after it', async () => {
    const s = spec();
    await ensureEventStream(jsm, s);
    const js = jetstream(fx.nc);
    for (let i = 0; i < 100; i++) await js.publish(`${s.stream}.a.page_view`, new Uint8Array([1]));
    await collect(s, 100);
    // Acks are asynchronous: wait until the server has applied the batch's single ack.
    await waitFor(async () => (await jsm.consumers.info(s.stream, s.consumer)).ack_floor.stream_seq === 100);
    expect((await jsm.consumers.info(s.stream, s.consumer)).num_ack_pending).toBe(0);
    await js.publish(`${s.stream}.a.page_view`, new Uint8Array([2]));
    const again = await collect(s, 1);
    expect(again.messages[0]?.streamSeq).toBe(101);
  });

  it('passes the Content-Type header through', async () => {
    const s = spec();
    await ensureEventStream(jsm, s);
    const { headers } = await import('@nats-io/transport-node');
    const h = headers();
    h.set('Content-Type', 'application/json');
    await jetstream(fx.nc).publish(`${s.stream}.a.page_view`, new TextEncoder().encode('{}'), { headers: h });
    const got = await collect(s, 1);
    expect(got.messages[0]?.contentType).toBe('application/json');
  });

  it('recreates a deleted consumer once per deletion and keeps consuming', async () => {
    const s = spec();
    await ensureEventStream(jsm, s);
    const js = jetstream(fx.nc);
    const registry = new Registry();
    const source = jetStreamSource({
      js,
      jsm,
      spec: s,
      pullBatch: 100,
      log,
      metrics: createEngineMetrics(registry),
    });
    const seen: number[] = [];
    const sub = source.subscribe((b) => {
      seen.push(...b.messages.map((m) => m.streamSeq));
      b.ack();
    });
    await js.publish(`${s.stream}.a.page_view`, new Uint8Array([1]));
    await waitFor(() => seen.length === 1);
    await jsm.consumers.delete(s.stream, s.consumer);
    await waitFor(
      async () =>
        await jsm.consumers.info(s.stream, s.consumer).then(
          () => true,
          () => false,
        ),
      20_000,
    );
    await js.publish(`${s.stream}.a.page_view`, new Uint8Array([2]));
    await waitFor(() => seen.includes(2), 20_000);
    // Every pending pull reports the deletion; it is one incident, handled once.
    const incidents = await registry.getSingleMetric('churnflow_nats_incidents_total')?.get();
    const deleted = incidents?.values.filter((v) => v.labels['kind'] === 'consumer_deleted');
    expect(deleted?.reduce((n, v) => n + v.value, 0)).toBe(1);
    sub.unsubscribe();
  }, 45_000);

  it('stops pulling while the flow gate is closed and resumes when it opens', async () => {
    const s = spec();
    await ensureEventStream(jsm, s);
    const js = jetstream(fx.nc);
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        js.publish(`${s.stream}.c${i % 5}.page_view`, new Uint8Array([1])),
      ),
    );
    const flow = createFlowGate({ highWater: 0, lowWater: 0 });
    flow.update(1); // the engine is behind: closed
    const seen: number[] = [];
    const sub = jetStreamSource({
      js,
      jsm,
      spec: s,
      pullBatch: 100,
      log,
      metrics: createEngineMetrics(new Registry()),
      flow,
    }).subscribe((b) => {
      seen.push(...b.messages.map((m) => m.streamSeq));
      b.ack();
    });
    await waitFor(() => seen.length > 0);
    await new Promise((r) => setTimeout(r, 500));
    // One batch handed over, then nothing: no more than one pull's worth was even requested.
    expect(seen.length).toBeLessThanOrEqual(100);
    expect((await jsm.consumers.info(s.stream, s.consumer)).num_pending).toBeGreaterThanOrEqual(1800);
    flow.update(0);
    await waitFor(() => seen.length >= 2000, 20_000);
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    sub.unsubscribe();
  }, 45_000);
});

describe('ensureEventStream with replayFromStart', () => {
  it('starts an existing durable over from the first message, so a restarted engine rebuilds its state', async () => {
    const s = spec();
    await ensureEventStream(jsm, s);
    const js = jetstream(fx.nc);
    for (let i = 0; i < 20; i++) await js.publish(`${s.stream}.a.page_view`, new Uint8Array([i]));
    await collect(s, 20);
    await ensureEventStream(jsm, { ...s, replayFromStart: true });
    const again = await collect(s, 20);
    expect(again.messages.map((m) => m.streamSeq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
