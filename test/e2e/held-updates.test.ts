import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { scrapeMetric, startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const CUSTOMERS = 300;
const EVENTS = 6_000;

let fx: NatsFixture;
let jsm: JetStreamManager;
beforeAll(async () => {
  fx = await natsFixture();
  jsm = await jetstreamManager(fx.nc);
});
afterAll(async () => fx[Symbol.asyncDispose]());

/** Publishes a backlog of page views and purchases of CUSTOMERS customers, before any engine reads the stream. */
async function backlog(stream: string, prefix: string): Promise<void> {
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  const now = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    const type = i % 7 === 0 ? 'purchase' : 'page_view';
    const event = {
      customerId: `c${i % CUSTOMERS}`,
      type,
      ts: now - 20 * 86_400_000 + i * 60_000,
      value: 20,
    };
    fx.nc.publish(eventSubject(prefix, event.customerId, type), packr.pack(event));
  }
  await fx.nc.flush();
  await waitFor(async () => (await jsm.streams.info(stream)).state.messages === EVENTS, 20_000, 'stored');
}

describe('score updates over a backlog, on a real JetStream consumer', () => {
  it('are held while the engine is behind, then one goes out per customer with its latest scores', async () => {
    // Small pulls so the consumer's pending count is seen many times; a backlog counts after 200 ms.
    const config = testConfig(fx.server.url, { 'nats.pullBatch': 100, 'publish.catchUpBehindMs': 200 });
    const prefix = config.ingest.subjectPrefix;
    await backlog(config.nats.stream, prefix);
    await new Promise((r) => setTimeout(r, 400)); // the backlog is older than publish.catchUpBehindMs

    const updates: Record<string, unknown>[] = [];
    const sub = fx.nc.subscribe(`${config.publish.prefix}.scores.>`, {
      callback: (_err, m) => void updates.push(decodeMsgpack(m.data) as Record<string, unknown>),
    });
    await using app = await startTestEngine(config);
    await waitFor(() => app.engine.totals.events === EVENTS, 30_000, 'every event applied');
    await waitFor(
      async () => (await scrapeMetric(app.opsPort, 'churnflow_score_updates_held')) === 0,
      15_000,
      'held updates released',
    );
    await fx.nc.flush();
    await waitFor(() => new Set(updates.map((u) => u['customerId'])).size === CUSTOMERS, 10_000, 'updates');
    sub.unsubscribe();
    // Every customer got its latest scores; all but the last pulls' customers got exactly one update.
    const perCustomer = new Map<unknown, number>();
    for (const u of updates) perCustomer.set(u['customerId'], (perCustomer.get(u['customerId']) ?? 0) + 1);
    expect(perCustomer.size).toBe(CUSTOMERS);
    expect(updates.length).toBeLessThan(CUSTOMERS * 2);
    expect(app.engine.totals.scoreUpdates).toBe(updates.length);
    // What a customer got last is what the engine holds for it now (within the publish delta: the profile is
    // scored again at the engine's clock).
    const last = updates.filter((u) => u['customerId'] === 'c7').at(-1) as {
      churnRisk: number;
      stage: string;
    };
    const profile = await app.engine.engines()[0]!.profile('c7');
    expect(Math.abs((profile?.churnRisk ?? NaN) - last.churnRisk)).toBeLessThanOrEqual(
      config.publish.minRiskDelta,
    );
    expect(profile?.stage).toBe(last.stage);
  });
});
