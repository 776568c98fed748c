import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { jetstream } from '@nats-io/jetstream';
import { headers, type Msg } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import type { Config } from '../../src/config/index.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const DAY = 86_400_000;
const CUSTOMERS = 40;
let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx[Symbol.asyncDispose]());

type Payload = Record<string, unknown>;

async function ask(subject: string, data: Uint8Array | string, contentType?: string): Promise<Msg> {
  const h = headers();
  if (contentType !== undefined) h.set('Content-Type', contentType);
  return fx.nc.request(subject, data, {
    timeout: 10_000,
    ...(contentType === undefined ? {} : { headers: h }),
  });
}
const json = (m: Msg) => m.json<Payload>();

/** Publishes purchases of CUSTOMERS customers into the engine's stream (before it starts: it replays them). */
async function publishCustomers(config: Readonly<Config>): Promise<void> {
  const js = jetstream(fx.nc);
  const { jetstreamManager } = await import('@nats-io/jetstream');
  await (
    await jetstreamManager(fx.nc)
  ).streams.add({
    name: config.nats.stream,
    subjects: [`${config.ingest.subjectPrefix}.>`],
  });
  for (let c = 0; c < CUSTOMERS; c++) {
    const e = { customerId: `c-${c}`, type: 'purchase', ts: Date.now() - DAY, value: 10 + c };
    await js.publish(eventSubject(config.ingest.subjectPrefix, e.customerId, e.type), packr.pack(e));
  }
}

describe('requests against a running engine, through a real nats-server', () => {
  it('survive a customers.get near max_payload and answer with codes; read MessagePack; bound bodies', async () => {
    // One aggregates slot per 250 ms tick: the first pass over 40 customers takes ~10 s, so it is still running.
    const config = testConfig(fx.server.url, { 'aggregates.passMs': 3_600_000 });
    await publishCustomers(config);
    await using app = await startTestEngine(config);
    const p = config.publish.prefix;
    await waitFor(() => app.engine.totals.events === CUSTOMERS, 15_000, 'events applied');

    // The reproduction of issue 8: a 1 MB body next to max_payload. Old code echoed it in not_found and died.
    const maxPayload = fx.nc.info?.max_payload ?? 0;
    // 8 bytes under max_payload: any reply that echoes the id with a few bytes of JSON around it cannot be sent.
    const huge = JSON.stringify({ customerId: 'x'.repeat(maxPayload - 25) });
    expect(huge.length).toBe(maxPayload - 8);
    const tooBig = await ask(`${p}.customers.get`, huge);
    expect(json(tooBig)).toMatchObject({ error: { code: 'body_too_large' } });
    expect(tooBig.data.length).toBeLessThan(300);
    // Oversized by the configured limit, in MessagePack: refused before parsing, answered in MessagePack.
    const packed = await ask(
      `${p}.customers.get`,
      packr.pack({ customerId: 'y'.repeat(70_000) }),
      'application/msgpack',
    );
    expect(packed.headers?.get('Content-Type')).toBe('application/msgpack');
    expect(decodeMsgpack(packed.data)).toMatchObject({ error: { code: 'body_too_large' } });

    // Aggregates before the first complete pass: a code, not zeros.
    expect(json(await ask(`${p}.aggregates.get`, ''))).toEqual({
      error: { code: 'not_ready', message: expect.stringContaining('first pass') as string },
    });

    // The engine is alive and answers: a MessagePack request for an existing customer gets its profile.
    const profile = await ask(
      `${p}.customers.get`,
      packr.pack({ customerId: 'c-7' }),
      'application/x-msgpack',
    );
    expect(decodeMsgpack(profile.data)).toMatchObject({
      found: true,
      customerId: 'c-7',
      features: { revenue_lifetime: 17 },
    });
    expect(json(await ask(`${p}.customers.get`, JSON.stringify({ customerId: 'nobody' })))).toMatchObject({
      error: { code: 'not_found' },
    });
    expect(
      json(await ask(`${p}.customers.get`, JSON.stringify({ customerId: 'z'.repeat(5_000) }))),
    ).toMatchObject({
      error: { code: 'invalid_customer_id' },
    });

    // A dry run: a body that is not JSON is refused with a code, never taken as the rule.
    const text = json(await ask(`${p}.segments.dryrun`, 'revenue_lifetime > 20.0'));
    expect(text).toMatchObject({ error: { code: 'undecodable' } });
    const dry = await ask(
      `${p}.segments.dryrun`,
      packr.pack({ rule: 'revenue_lifetime > 44.0', sample: 2 }),
      'application/msgpack',
    );
    expect(decodeMsgpack(dry.data)).toMatchObject({ matches: 5, evaluated: CUSTOMERS });
    expect(
      json(await ask(`${p}.segments.dryrun`, JSON.stringify({ rule: 'true', sample: 1e9 }))),
    ).toMatchObject({
      error: { code: 'invalid_sample' },
    });
    expect(
      json(await ask(`${p}.segments.dryrun`, JSON.stringify({ rule: 'revenue_9d > 1.0' }))),
    ).toMatchObject({
      error: { code: 'rule_refused', message: expect.stringContaining('revenue_9d') as string },
    });
    expect(json(await ask(`${p}.segments.list`, 'x', 'text/plain'))).toMatchObject({
      error: { code: 'unsupported_content_type' },
    });

    // ...and the first pass, once complete, is answered.
    await waitFor(
      async () => json(await ask(`${p}.aggregates.get`, '')).customers === CUSTOMERS,
      30_000,
      'a pass',
    );
    expect(app.engine.state).toBe('running');
  }, 90_000);
});

describe('replies are bounded by the server max_payload', () => {
  it('answers reply_too_large instead of failing to publish when the answer does not fit', async () => {
    // A server with a small max_payload: the segment list of the default pack does not fit in it.
    await using small = await natsFixture({ server: { config: 'max_payload: 2048\n' } });
    const config = testConfig(small.server.url);
    await using app = await startTestEngine(config);
    await waitFor(() => app.engine.state === 'running', 10_000, 'running');
    const reply = await small.nc.request(`${config.publish.prefix}.segments.list`, '', { timeout: 10_000 });
    expect(reply.data.length).toBeLessThanOrEqual(2048);
    expect(reply.json()).toMatchObject({ error: { code: 'reply_too_large' } });
    // The engine keeps answering what fits.
    const fits = await small.nc.request(`${config.publish.prefix}.models.status`, '', { timeout: 10_000 });
    expect(fits.json()).toMatchObject({ name: 'churn-default' });
  }, 60_000);
});
