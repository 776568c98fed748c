import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { jetstream } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import type { Subscription } from '@nats-io/transport-node';
import { eventSubject } from '../../src/contract/subjects.js';
import { DeadLetterHeaders } from '../../src/contract/score-update.js';
import type { CustomerEvent } from '../../src/contract/event.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { scrapeMetric, startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const DAY = 86_400_000;
const packr = new Packr({ useRecords: false });

let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx[Symbol.asyncDispose]());

/** Records every message on a subject pattern, decoded by an independent msgpack implementation. */
function record(subject: string): { updates: Array<Record<string, unknown>>; sub: Subscription } {
  const updates: Array<Record<string, unknown>> = [];
  const sub = fx.nc.subscribe(subject, {
    callback: (_err, m) => {
      updates.push(decodeMsgpack(m.data) as Record<string, unknown>);
    },
  });
  return { updates, sub };
}

describe('engine end to end over NATS', () => {
  it('turns published events into score updates with features, stage and per-customer seq', async () => {
    const config = testConfig(fx.server.url);
    await using app = await startTestEngine(config);
    const { updates, sub } = record(`${config.publish.prefix}.scores.>`);
    const js = jetstream(fx.nc);
    const now = Date.now();
    const history: CustomerEvent[] = [
      { customerId: 'ann@example.com', type: 'signup', ts: now - 40 * DAY },
      { customerId: 'ann@example.com', type: 'purchase', ts: now - 30 * DAY, value: 120 },
      { customerId: 'ann@example.com', type: 'purchase', ts: now - 3 * DAY, value: 80 },
      { customerId: 'ann@example.com', type: 'referral', ts: now - 2 * DAY },
      { customerId: 'bob.smith', type: 'page_view', ts: now - DAY },
      { customerId: 'bob.smith', type: 'cart_add', ts: now - DAY + 1000 },
      { customerId: 'carol', type: 'purchase', ts: now - 5 * DAY, value: 15 },
    ];
    for (const e of history)
      await js.publish(eventSubject(config.ingest.subjectPrefix, e.customerId, e.type), packr.pack(e));

    await waitFor(() => new Set(updates.map((u) => u['customerId'])).size === 3, 15_000, 'score updates');
    const latest = (id: string) =>
      updates.filter((u) => u['customerId'] === id).at(-1) as Record<string, unknown>;
    expect(latest('ann@example.com')['stage']).toBe('advocate');
    expect(latest('bob.smith')['stage']).toBe('evaluation');
    expect(latest('carol')['stage']).toBe('first_purchase');
    // Segments from the default pack: a referral makes an advocate; first seen 5 days ago, a new customer.
    expect(latest('ann@example.com')['segments']).toContain('advocates');
    expect(latest('carol')['segments']).toContain('new_customers');
    for (const u of updates) {
      expect(u['churnRisk']).toBeGreaterThanOrEqual(0);
      expect(u['churnRisk']).toBeLessThanOrEqual(1);
      expect(Number.isInteger(u['engagement'])).toBe(true);
      expect(Array.isArray(u['segments'])).toBe(true);
      expect(Array.isArray(u['reasons'])).toBe(true);
      expect((u['model'] as { name: string }).name).toBeTypeOf('string');
      // Each update reflects the stream's event time when its cause was applied: never before the first event.
      expect(u['eventTime']).toBeGreaterThanOrEqual(now - 40 * DAY);
      expect(u['eventTime']).toBeLessThanOrEqual(now);
    }
    // A customer is evaluated at its own events and timers: its latest update is at least as recent as its
    // latest event.
    for (const id of ['ann@example.com', 'bob.smith', 'carol']) {
      const lastTs = Math.max(...history.filter((e) => e.customerId === id).map((e) => e.ts));
      expect(latest(id)['eventTime']).toBeGreaterThanOrEqual(lastTs);
    }
    const annSeqs = updates.filter((u) => u['customerId'] === 'ann@example.com').map((u) => u['seq']);
    // Consecutive from a base above any earlier run's (the engine's start time in ms × 1000).
    const first = annSeqs[0] as number;
    expect(first).toBeGreaterThan(Date.now() * 1000 - 60_000_000);
    expect(annSeqs).toEqual(annSeqs.map((_, i) => first + i));

    // The customer's features as the engine holds them.
    const slot = app.engine.engines()[0]!.store.slotOf('ann@example.com') as number;
    const features = new Float32Array(64);
    app.engine.engines()[0]!.store.features(slot, app.engine.engines()[0]!.store.watermarkMs, features, 0);
    const { featureIndex } = await import('../../src/state/index.js');
    expect(features[featureIndex('purchases_lifetime')]).toBe(2);
    expect(features[featureIndex('revenue_lifetime')]).toBe(200);
    expect(features[featureIndex('referrals_lifetime')]).toBe(1);

    expect(await scrapeMetric(app.opsPort, 'churnflow_events_total')).toBe(history.length);
    expect(await scrapeMetric(app.opsPort, 'churnflow_events_total', { type: 'purchase' })).toBe(3);
    expect(await scrapeMetric(app.opsPort, 'churnflow_score_updates_total')).toBe(updates.length);
    expect(await scrapeMetric(app.opsPort, 'churnflow_event_to_score_seconds_count')).toBeGreaterThan(0);
    const ready = await fetch(`http://127.0.0.1:${app.opsPort}/readyz`);
    expect(ready.status).toBe(200);
    sub.unsubscribe();
  });

  it('dead-letters a flood of hostile messages with reasons and scores every valid event between them', async () => {
    const config = testConfig(fx.server.url);
    await using app = await startTestEngine(config);
    const dlq: Array<{ reason: string; subject: string; bytes: number }> = [];
    const dlqSub = fx.nc.subscribe(`${config.publish.prefix}.dlq.>`, {
      callback: (_err, m) => {
        dlq.push({
          reason: m.headers?.get(DeadLetterHeaders.reason) ?? '',
          subject: m.headers?.get(DeadLetterHeaders.subject) ?? '',
          bytes: m.data.length,
        });
      },
    });
    const prefix = config.ingest.subjectPrefix;
    const js = jetstream(fx.nc);
    const now = Date.now();
    const valid = (i: number): CustomerEvent => ({
      customerId: `v${i % 50}`,
      type: 'page_view',
      ts: now - i,
    });
    const hostile: Array<[string, Uint8Array]> = [
      [`${prefix}.x.page_view`, new Uint8Array([0xc1, 0xff, 0x00])],
      [`${prefix}.x.page_view`, packr.pack({ customerId: 'x', type: 'page_view' })],
      [`${prefix}.x.page_view`, packr.pack({ customerId: 'x', type: 'page_view', ts: 'yesterday' })],
      [`${prefix}.x.nps`, packr.pack({ customerId: 'x', type: 'nps', ts: now, value: 11 })],
      [`${prefix}.x.purchase`, packr.pack({ customerId: 'x', type: 'purchase', ts: now, value: Number.NaN })],
      [`${prefix}.y.page_view`, packr.pack({ customerId: 'x', type: 'page_view', ts: now })],
      [`${prefix}.x.page_view`, packr.pack({ customerId: 'x', type: 'page_view', ts: now + 10 * DAY })],
      [`${prefix}.x.page_view`, packr.pack([1, 2, 3])],
      [`${prefix}.x.page_view`, new Uint8Array(70_000)],
    ];
    let validCount = 0;
    const rounds = 40;
    for (let r = 0; r < rounds; r++) {
      for (const [subject, data] of hostile) {
        const e = valid(validCount++);
        await js.publish(eventSubject(prefix, e.customerId, e.type), packr.pack(e));
        await js.publish(subject, data);
      }
    }
    await waitFor(() => dlq.length === rounds * hostile.length, 20_000, 'dead letters');
    await waitFor(() => app.engine.totals.events === validCount, 20_000, 'valid events');
    const reasons = new Set(dlq.map((d) => d.reason));
    expect([...reasons].sort()).toEqual(
      [
        'undecodable',
        'missing_field',
        'wrong_type',
        'out_of_range',
        'non_finite_number',
        'subject_mismatch',
        'too_far_in_future',
        'not_an_object',
        'payload_too_large',
      ].sort(),
    );
    expect(dlq.every((d) => d.subject.startsWith(prefix))).toBe(true);
    expect(dlq.find((d) => d.reason === 'payload_too_large')?.bytes).toBe(70_000);
    expect(await scrapeMetric(app.opsPort, 'churnflow_dead_letters_total')).toBe(rounds * hostile.length);
    expect(await scrapeMetric(app.opsPort, 'churnflow_dead_letters_total', { reason: 'out_of_range' })).toBe(
      rounds,
    );
    expect(app.engine.state).toBe('running');
    await waitFor(
      () => app.engine.engines()[0]!.published.seq(app.engine.engines()[0]!.store.slotOf('v7') as number) > 0,
      10_000,
      'v7 scored',
    );
    dlqSub.unsubscribe();
  });
});
