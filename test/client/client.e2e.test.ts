import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import type { Config } from '../../src/config/index.js';
import {
  ChurnflowRequestError,
  dryRunSegment,
  eraseCustomer,
  getAggregates,
  getCustomer,
  listSegments,
  modelStatus,
  scoreSubject,
  subscribeScores,
  type DroppedMessage,
  type ScoreSubscription,
  type ScoreTombstone,
  type ScoreUpdate,
} from '../../src/client/index.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

// The client against a real nats-server and a real engine: the updates it publishes, its request replies.
const packr = new Packr({ useRecords: false });
const DAY = 86_400_000;
// Ids that need escaping in a subject: the client must find them on the engine's subjects.
const CUSTOMERS = ['c-1', 'ann@example.com', 'b.o b', 'ünï', '*'];

let fx: NatsFixture;
let app: Awaited<ReturnType<typeof startTestEngine>>;
let config: Readonly<Config>;
let prefix: string;
let sub: ScoreSubscription;
const updates: ScoreUpdate[] = [];
const erased: ScoreTombstone[] = [];
const dropped: DroppedMessage[] = [];

beforeAll(async () => {
  fx = await natsFixture();
  config = testConfig(fx.server.url, { 'aggregates.passMs': 1_000 });
  prefix = config.publish.prefix;
  await (
    await jetstreamManager(fx.nc)
  ).streams.add({
    name: config.nats.stream,
    subjects: [`${config.ingest.subjectPrefix}.>`],
  });
  // Subscribed before the engine starts, so no update is missed.
  sub = subscribeScores(fx.nc, {
    prefix,
    onUpdate: (u) => updates.push(u),
    onErased: (t) => erased.push(t),
    onDropped: (d) => dropped.push(d),
  });
  const js = jetstream(fx.nc);
  for (const [i, customerId] of CUSTOMERS.entries()) {
    const e = { customerId, type: 'purchase', ts: Date.now() - DAY, value: 10 + i };
    await js.publish(eventSubject(config.ingest.subjectPrefix, customerId, 'purchase'), packr.pack(e));
  }
  app = await startTestEngine(config);
  await waitFor(() => new Set(updates.map((u) => u.customerId)).size === CUSTOMERS.length, 20_000, 'updates');
});
afterAll(async () => {
  sub.unsubscribe();
  await app[Symbol.asyncDispose]();
  await fx[Symbol.asyncDispose]();
});

/** Publishes a payload on a score subject as a producer other than the engine would, and waits for it. */
async function inject(subject: string, payload: Uint8Array | string, contentType?: string): Promise<void> {
  const h = headers();
  if (contentType !== undefined) h.set('Content-Type', contentType);
  fx.nc.publish(subject, payload, contentType === undefined ? {} : { headers: h });
  await fx.nc.flush();
}

describe('churnflow/client against a running engine', () => {
  it('receives the engine’s MessagePack updates for every customer, valid by the schema', () => {
    expect(new Set(updates.map((u) => u.customerId))).toEqual(new Set(CUSTOMERS));
    expect(updates.every((u) => u.model.name !== '' && u.seq > 0)).toBe(true);
    expect(sub.stats.dropped).toEqual({
      stale: 0,
      undecodable: 0,
      unsupported_content_type: 0,
      invalid: 0,
      wrong_subject: 0,
    });
  });

  it('drops duplicates, older seqs, invalid and misrouted payloads; takes a newer one in JSON without a header', async () => {
    const last = updates.findLast((u) => u.customerId === 'ann@example.com') as ScoreUpdate;
    const subject = scoreSubject(prefix, last.customerId);
    const before = updates.length;
    await inject(subject, packr.pack(last), 'application/msgpack'); // a redelivered duplicate
    await inject(subject, JSON.stringify({ ...last, seq: last.seq - 1 })); // an older update, sniffed as JSON
    await inject(subject, JSON.stringify({ ...last, churnRisk: 7 }), 'application/json'); // out of range
    await inject(scoreSubject(prefix, 'c-1'), JSON.stringify({ ...last, seq: last.seq + 5 })); // wrong customer
    await inject(subject, JSON.stringify({ ...last, seq: last.seq + 1, churnRisk: 0.5 })); // newer: taken
    await waitFor(() => updates.length > before, 5_000, 'the newer update');
    expect(updates.slice(before)).toEqual([{ ...last, seq: last.seq + 1, churnRisk: 0.5 }]);
    expect(dropped.map((d) => d.reason)).toEqual(['stale', 'stale', 'invalid', 'wrong_subject']);
    expect(dropped[2]?.detail).toContain('/churnRisk');
  });

  it('answers requests in MessagePack and in JSON with the same, schema-checked replies', async () => {
    for (const encoding of ['msgpack', 'json'] as const) {
      const profile = await getCustomer(fx.nc, 'b.o b', { prefix, encoding });
      expect(profile).toMatchObject({ found: true, customerId: 'b.o b' });
      expect(profile.features['revenue_lifetime']).toBe(12);
      expect(await listSegments(fx.nc, { prefix, encoding })).toEqual(expect.any(Array));
      const dry = await dryRunSegment(fx.nc, 'revenue_lifetime > 12.5', { prefix, encoding, sample: 5 });
      expect(dry).toMatchObject({ matches: 2, evaluated: CUSTOMERS.length });
      expect(new Set(dry.sample)).toEqual(new Set(['ünï', '*']));
      expect(await modelStatus(fx.nc, { prefix, encoding })).toMatchObject({ name: 'churn-default' });
    }
    // not_ready until the first pass over every customer completes (one slot per tick); any other error fails.
    const notReady = (e: unknown): boolean => {
      if (e instanceof ChurnflowRequestError && e.code === 'not_ready') return false;
      throw e;
    };
    await waitFor(
      () => getAggregates(fx.nc, { prefix }).then((a) => a.customers === CUSTOMERS.length, notReady),
      15_000,
      'aggregates',
    );
    // The same figures in both encodings: NaN (retentionRate with nobody at the period start) is null in both.
    const [fromJson, fromPack] = await Promise.all([
      getAggregates(fx.nc, { prefix, encoding: 'json' }),
      getAggregates(fx.nc, { prefix, encoding: 'msgpack' }),
    ]);
    expect({ ...fromPack, asOfMs: 0 }).toEqual({ ...fromJson, asOfMs: 0 });
    expect(fromPack.retentionRate).toBeNull();
  });

  it('throws a ChurnflowRequestError with the stable code of an error reply', async () => {
    for (const encoding of ['msgpack', 'json'] as const) {
      const err = await getCustomer(fx.nc, 'nobody', { prefix, encoding }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChurnflowRequestError);
      expect(err).toMatchObject({ code: 'not_found', subject: `${prefix}.customers.get` });
    }
    await expect(dryRunSegment(fx.nc, 'revenue_9d > 1.0', { prefix })).rejects.toMatchObject({
      code: 'rule_refused',
    });
  });

  it('reads a NATS service error carried by headers only', async () => {
    // A responder of the micro service kind: an empty body, the error in the service headers.
    const other = `${prefix}-svc`;
    const responder = fx.nc.subscribe(`${other}.models.status`, {
      callback: (_err, msg) => {
        const h = headers();
        h.set('Nats-Service-Error', 'engine stopping');
        h.set('Nats-Service-Error-Code', '503');
        msg.respond(new Uint8Array(0), { headers: h });
      },
    });
    await expect(modelStatus(fx.nc, { prefix: other })).rejects.toMatchObject({
      name: 'ChurnflowRequestError',
      code: 'service_error',
      serviceCode: 503,
      message: 'engine stopping',
    });
    responder.unsubscribe();
  });

  it('erases a customer: the tombstone arrives and its seq is forgotten', async () => {
    const last = updates.findLast((u) => u.customerId === 'c-1') as ScoreUpdate;
    expect(await eraseCustomer(fx.nc, 'c-1', { prefix, encoding: 'json' })).toMatchObject({ erased: true });
    await waitFor(() => erased.length === 1, 5_000, 'tombstone');
    expect(erased[0]).toMatchObject({ customerId: 'c-1', erased: true });
    expect(erased[0]?.seq).toBeGreaterThan(last.seq);
    // A returning id starts a new, lower sequence: the subscriber takes it.
    const before = updates.length;
    await inject(scoreSubject(prefix, 'c-1'), JSON.stringify({ ...last, seq: 1 }));
    await waitFor(() => updates.length > before, 5_000, 'the first update of the new sequence');
    await expect(getCustomer(fx.nc, 'c-1', { prefix })).rejects.toMatchObject({ code: 'not_found' });
  });
});
