/**
 * `/readyz` against a real engine and nats-server: not ready while it replays a backlog, not ready while dead
 * letters cannot be stored (and the engine goes on meanwhile), each reason named in the body and in a metric.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscardPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { scrapeMetric, startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });

let fx: NatsFixture;
let jsm: JetStreamManager;
beforeAll(async () => {
  fx = await natsFixture();
  jsm = await jetstreamManager(fx.nc);
});
afterAll(async () => fx[Symbol.asyncDispose]());

interface ReadyBody {
  ready: boolean;
  notReady?: Array<{ reason: string; detail: string }>;
}
async function readyz(port: number): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

function publishValid(prefix: string, from: number, count: number, nowMs: number): void {
  for (let i = from; i < from + count; i++) {
    const event = { customerId: `c${i % 5_000}`, type: 'page_view', ts: nowMs - 100_000 + (i % 100_000) };
    fx.nc.publish(eventSubject(prefix, event.customerId, event.type), packr.pack(event));
  }
}

describe('/readyz tells the truth', () => {
  it('is 503 "lagging" while the engine replays a backlog (default thresholds), then 200', async () => {
    const config = testConfig(fx.server.url);
    const prefix = config.ingest.subjectPrefix;
    // The backlog is there before the engine starts: 20,000 events, twice health.maxPendingMessages.
    await jsm.streams.add({ name: config.nats.stream, subjects: [`${prefix}.>`] });
    publishValid(prefix, 0, 20_000, Date.now());
    await fx.nc.flush();
    await waitFor(async () => (await jsm.streams.info(config.nats.stream)).state.messages === 20_000, 20_000);

    await using app = await startTestEngine(config);
    const seen: ReadyBody[] = [];
    await waitFor(
      async () => {
        const r = await readyz(app.opsPort);
        seen.push(r.body);
        expect(r.status).toBe(r.body.ready ? 200 : 503);
        return r.body.ready;
      },
      25_000,
      'ready after the replay',
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last /readyz: ${JSON.stringify(seen.at(-1))}`);
    });
    const lagging = seen.flatMap((b) => b.notReady ?? []).filter((p) => p.reason === 'lagging');
    expect(lagging.length).toBeGreaterThan(0);
    const pending = lagging.map((p) => Number(/^(\d+) messages pending/.exec(p.detail)?.[1] ?? 0));
    expect(Math.max(...pending)).toBeGreaterThan(10_000);
    // Ready means within the threshold of the end, not necessarily at it.
    expect(app.engine.totals.events).toBeGreaterThanOrEqual(20_000 - 10_000);
    expect(await scrapeMetric(app.opsPort, 'churnflow_not_ready', { reason: 'lagging' })).toBe(0);
    expect(await scrapeMetric(app.opsPort, 'churnflow_consumer_pending_messages')).toBeLessThanOrEqual(
      10_000,
    );
  });

  it('is 503 "dead_letters" when the dead-letter stream refuses them; valid events keep flowing', async () => {
    const config = testConfig(fx.server.url);
    const prefix = config.ingest.subjectPrefix;
    // A dead-letter stream that takes one message and refuses every later one (full, discard new).
    await jsm.streams.add({
      name: config.publish.deadLetterStream,
      subjects: [`${config.publish.prefix}.dlq`],
      max_msgs: 1,
      discard: DiscardPolicy.New,
    });
    await using app = await startTestEngine(config);
    await waitFor(async () => (await readyz(app.opsPort)).body.ready, 15_000, 'ready at start');
    const now = Date.now();
    const junk = (n: number) =>
      fx.nc.publish(eventSubject(prefix, `h${n}`, 'page_view'), Uint8Array.of(0xc1, n));
    junk(1);
    publishValid(prefix, 0, 100, now);
    junk(2);
    junk(3);
    publishValid(prefix, 100, 100, now);
    await fx.nc.flush();

    await waitFor(
      () => app.engine.totals.events === 200 && app.engine.totals.deadLetters === 3,
      20_000,
      'all applied and refused',
    );
    const r = await readyz(app.opsPort);
    expect(r.status).toBe(503);
    expect(r.body.notReady?.map((p) => p.reason)).toContain('dead_letters');
    expect(await scrapeMetric(app.opsPort, 'churnflow_not_ready', { reason: 'dead_letters' })).toBe(1);
    // Two could not be stored: logged in full and counted as lost, never retried forever.
    expect(await scrapeMetric(app.opsPort, 'churnflow_dead_letters_lost_total')).toBe(2);
    expect((await jsm.streams.info(config.publish.deadLetterStream)).state.messages).toBe(1);
  });
});
