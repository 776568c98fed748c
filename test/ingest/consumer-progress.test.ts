import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  judgeProgress,
  observeProgress,
  watchConsumerProgress,
  type ProgressState,
} from '../../src/ingest/index.js';
import { nextReadDelayMs } from '../../src/ingest/consumer-progress.js';
import { createEngineMetrics, type EngineMetrics } from '../../src/metrics/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';
import { waitFor } from '../helpers/engine.js';

const limits = { maxPendingMessages: 1_000, stallAfterMs: 10_000, pollIntervalMs: 2_000 };
const reading = (atMs: number, pending: number, ackPending: number, ackFloor: number) => ({
  atMs,
  pending,
  ackPending,
  ackFloor,
});

/** A poller on `consumer` with a limit of 1,000 pending messages and silent logs. */
function watching(
  jsm: JetStreamManager,
  stream: string,
  consumer: string,
  metrics: EngineMetrics,
  limits: { stallAfterMs: number; pollIntervalMs: number },
) {
  return watchConsumerProgress({
    jsm,
    stream,
    consumer,
    maxPendingMessages: 1_000,
    ...limits,
    metrics,
    log: pino({ level: 'silent' }),
  });
}

describe('nextReadDelayMs', () => {
  it('keeps the poll interval after a read made slow by this process, backs off for a slow server', () => {
    // One read of 7 s among fast ones: the event loop was held (a restore), the server was not.
    expect(nextReadDelayMs(2_000, [40, 7_000, 35])).toBe(2_000);
    // Too few reads to tell: the first one, in flight while a restore held the loop.
    expect(nextReadDelayMs(2_000, [7_000])).toBe(2_000);
    // A server that takes 1.5 s every time is asked every 15 s; one that times out (5 s) every time, every 50 s.
    expect(nextReadDelayMs(2_000, [1_500, 1_600, 1_500])).toBe(15_000);
    expect(nextReadDelayMs(2_000, [5_000, 5_001, 5_000])).toBe(50_000);
  });
});

describe('judgeProgress', () => {
  it('is lagging until the first reading, and when the last one is stale', () => {
    expect(judgeProgress({ movedAtMs: 0 }, 0, limits).map((p) => p.reason)).toEqual(['lagging']);
    const state = observeProgress({ movedAtMs: 0 }, reading(0, 0, 0, 5));
    expect(judgeProgress(state, 5_000, limits)).toEqual([]);
    expect(judgeProgress(state, 6_001, limits)[0]!.detail).toContain('unknown for 6001 ms');
  });

  it('is lagging while more than maxPendingMessages wait (a replay), ready once caught up', () => {
    let state: ProgressState = observeProgress({ movedAtMs: 0 }, reading(0, 84_740, 2_000, 0));
    expect(judgeProgress(state, 0, limits)).toEqual([
      {
        reason: 'lagging',
        detail: '86740 messages pending (84740 undelivered, 2000 unacknowledged), more than 1000',
      },
    ]);
    state = observeProgress(state, reading(2_000, 0, 1_000, 85_740));
    expect(judgeProgress(state, 2_000, limits)).toEqual([]);
  });

  it('is stalled when work is pending and the ack floor stays put past stallAfterMs, not when idle', () => {
    let state: ProgressState = observeProgress({ movedAtMs: 0 }, reading(0, 500, 39, 100));
    for (let t = 2_000; t <= 12_000; t += 2_000) state = observeProgress(state, reading(t, 500, 39, 100));
    expect(judgeProgress(state, 10_000, limits)).toEqual([]);
    expect(judgeProgress(state, 12_000, limits)).toEqual([
      { reason: 'stalled', detail: '539 messages pending, none acknowledged for 12000 ms (ack floor 100)' },
    ]);
    // The floor moves: progress.
    state = observeProgress(state, reading(14_000, 0, 39, 600));
    expect(judgeProgress(state, 14_000, limits)).toEqual([]);
    // Nothing pending for a long time is idle, not stalled.
    for (let t = 16_000; t <= 40_000; t += 2_000) state = observeProgress(state, reading(t, 0, 0, 639));
    expect(judgeProgress(state, 40_000, limits)).toEqual([]);
  });
});

describe('watchConsumerProgress against a real consumer', () => {
  let fx: NatsFixture;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    fx = await natsFixture();
    jsm = await jetstreamManager(fx.nc);
  });
  afterAll(async () => fx[Symbol.asyncDispose]());

  it('reports the backlog, the stall of an unacked batch, and recovery, and exports num_pending', async () => {
    const stream = uniqueName('EVENTS');
    const consumer = uniqueName('engine');
    const subject = `${stream.toLowerCase()}.c1.page_view`;
    await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
    await jsm.consumers.add(stream, {
      durable_name: consumer,
      ack_policy: AckPolicy.All,
      max_ack_pending: 10_000,
    });
    const js = jetstream(fx.nc);
    await Promise.all(Array.from({ length: 3_000 }, (_, i) => js.publish(subject, String(i))));
    const metrics = createEngineMetrics(new Registry());
    const progress = watching(jsm, stream, consumer, metrics, { stallAfterMs: 300, pollIntervalMs: 50 });
    try {
      const reasons = () => progress.notReady().map((p) => p.reason);
      await waitFor(() => reasons().includes('lagging') && reasons().includes('stalled'), 5_000, 'lagging');
      expect(progress.notReady()[0]!.detail).toBe(
        '3000 messages pending (3000 undelivered, 0 unacknowledged), more than 1000',
      );
      expect((await metrics.consumerPendingMessages.get()).values[0]!.value).toBe(3_000);

      // Take 2,500 without acknowledging: still lagging (not applied), and stalled.
      const c = await js.consumers.get(stream, consumer);
      const batch = await c.fetch({ max_messages: 2_500, expires: 2_000 });
      let last: { ack(): void } | undefined;
      let fetched = 0;
      for await (const m of batch) {
        last = m;
        fetched++;
      }
      expect(fetched).toBe(2_500);
      await waitFor(() => progress.notReady().some((p) => p.detail.includes('2500 unacknowledged')), 5_000);
      expect(reasons()).toEqual(['lagging', 'stalled']);

      // Acknowledge them all (cumulatively): the floor moves, nothing is wrong any more.
      last!.ack();
      await waitFor(() => reasons().length === 0, 5_000, 'ready');
    } finally {
      progress.stop();
    }
  });

  /** A JetStreamManager whose `which`-th consumer-info read holds this process's event loop for `blockMs`. */
  const blockingOnRead = (which: number, blockMs: number, fail: boolean) => {
    let reads = 0;
    const info = jsm.consumers.info.bind(jsm.consumers);
    const consumers = Object.create(jsm.consumers) as JetStreamManager['consumers'];
    consumers.info = async (stream: string, name: string) => {
      const answer = info(stream, name);
      if (++reads === which) {
        const until = performance.now() + blockMs;
        while (performance.now() < until); // a synchronous restore, say: the answer waits in the socket
        blocked = true;
        if (fail) throw new Error('timeout');
      }
      return answer;
    };
    let blocked = false;
    const wrapped = Object.assign(Object.create(jsm) as JetStreamManager, { consumers });
    return { jsm: wrapped, blocked: () => blocked };
  };

  it.each([
    ['first read answered late', 1, false],
    ['first read failed', 1, true],
    ['fourth read answered late', 4, false],
    ['fourth read failed', 4, true],
  ])(
    'goes on polling at its interval when the event loop was held during a read (%s)',
    async (_, which, fail) => {
      const stream = uniqueName('EVENTS');
      const consumer = uniqueName('engine');
      await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
      await jsm.consumers.add(stream, { durable_name: consumer, ack_policy: AckPolicy.All });
      const metrics = createEngineMetrics(new Registry());
      const pending = async () => (await metrics.consumerPendingMessages.get()).values[0]?.value;
      const reads = blockingOnRead(which, 800, fail);
      const progress = watching(reads.jsm, stream, consumer, metrics, {
        stallAfterMs: 60_000,
        pollIntervalMs: 20,
      });
      try {
        const js = jetstream(fx.nc);
        await waitFor(reads.blocked, 5_000, 'the blocked read');
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => js.publish(`${stream.toLowerCase()}.c1.x`, `${i}`)),
        );
        // Ten times the blocked read's 800 ms would be 8 s before the next reading.
        await waitFor(async () => (await pending()) === 20, 3_000, 'a reading after the blocked one');
      } finally {
        progress.stop();
      }
    },
  );
});
