import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode as decodeMsgpack, encode as encodeMsgpack } from '@msgpack/msgpack';
import { headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  AnsweredElsewhere,
  RequestRefusal,
  createRequestMetrics,
  serveService,
  type Endpoint,
  type InfoResponse,
  type PingResponse,
  type RequestServiceOptions,
  type StatsResponse,
} from '../../src/requests/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

const log = pino({ level: 'silent' });
const LIMITS = { maxBodyBytes: 4096, maxRuleLength: 256 };
let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx[Symbol.asyncDispose]());

/** A clock the test moves: an answer "takes" exactly the time it advances it by. */
function manualClock() {
  let ms = 1_000;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

/** `things.get {id}`: 50 ms of (virtual) work, then the thing, or not_found for `missing`; `held` says whose. */
function thingsGet(clock: ReturnType<typeof manualClock>, held = (_id: string) => true): Endpoint {
  return {
    name: 'things.get',
    async answer(body) {
      const id = (body as { id: string }).id;
      if (!held(id)) throw new AnsweredElsewhere();
      await Promise.resolve();
      clock.advance(50);
      if (id === 'missing') throw new RequestRefusal('not_found', `no thing\n${id}`);
      return { id };
    },
  };
}

const thingsList: Endpoint = { name: 'things.list', answer: () => ({ things: [] }) };

function serve(nc: NatsConnection, prefix: string, extra: Partial<RequestServiceOptions> = {}) {
  const clock = manualClock();
  const registry = new Registry();
  const service = serveService({
    nc,
    prefix,
    name: 'churnflow',
    version: '1.2.3-rc.1',
    metadata: { prefix },
    log,
    limits: LIMITS,
    metrics: createRequestMetrics(registry),
    now: clock.now,
    endpoints: [{ endpoint: thingsGet(clock) }, { endpoint: thingsList, queue: `${prefix}.q` }],
    ...extra,
  });
  return { service, registry, clock };
}

/** Every reply to a control request within 300 ms (several services may answer), as JSON. */
async function gather<T>(subject: string): Promise<T[]> {
  const replies: T[] = [];
  for await (const m of await fx.nc.requestMany(subject, '', { maxWait: 300 })) replies.push(m.json<T>());
  return replies;
}

const ask = (subject: string, body: unknown, contentType = 'application/json'): Promise<Msg> => {
  const h = headers();
  h.set('Content-Type', contentType);
  const data = contentType === 'application/json' ? JSON.stringify(body) : encodeMsgpack(body);
  return fx.nc.request(subject, data, { timeout: 5_000, headers: h });
};

describe('requests as a NATS micro service', () => {
  it('answers PING, INFO and STATS on the $SRV subjects for all, by name and by id', async () => {
    const prefix = uniqueName('svc').toLowerCase();
    const { service } = serve(fx.nc, prefix);
    try {
      await fx.nc.flush();
      for (const subject of ['$SRV.PING', '$SRV.PING.churnflow', `$SRV.PING.churnflow.${service.id}`]) {
        const mine = (await gather<PingResponse>(subject)).filter((r) => r.id === service.id);
        expect(mine).toEqual([
          {
            type: 'io.nats.micro.v1.ping_response',
            name: 'churnflow',
            id: service.id,
            version: '1.2.3-rc.1',
            metadata: { prefix },
          },
        ]);
      }
      const [info] = await gather<InfoResponse>(`$SRV.INFO.churnflow.${service.id}`);
      expect(info?.type).toBe('io.nats.micro.v1.info_response');
      expect(info?.endpoints).toEqual([
        { name: 'things-get', subject: `${prefix}.things.get`, queue_group: '', metadata: null },
        { name: 'things-list', subject: `${prefix}.things.list`, queue_group: `${prefix}.q`, metadata: null },
      ]);
      const [stats] = await gather<StatsResponse>(`$SRV.STATS.churnflow.${service.id}`);
      expect(stats?.type).toBe('io.nats.micro.v1.stats_response');
      expect(Date.parse(stats?.started ?? '')).toBeGreaterThan(0);
    } finally {
      service.stop();
    }
  });

  it('counts requests, errors and the whole asynchronous answer in STATS and the metrics', async () => {
    const prefix = uniqueName('svc').toLowerCase();
    const { service, registry } = serve(fx.nc, prefix);
    try {
      // Every endpoint is exported before its first request.
      const before = await registry.metrics();
      expect(before).toContain(`churnflow_requests_total{endpoint="things.get",outcome="ok"} 0`);
      expect(before).toContain(`churnflow_request_seconds_count{endpoint="things.list"} 0`);
      await ask(`${prefix}.things.get`, { id: 'a' });
      await ask(`${prefix}.things.get`, { id: 'b' }, 'application/msgpack');
      await ask(`${prefix}.things.get`, { id: 'missing' });
      const [stats] = await gather<StatsResponse>(`$SRV.STATS.churnflow.${service.id}`);
      // 50 ms per answer, all of it after the handler's first await: the whole answer is timed.
      expect(stats?.endpoints[0]).toEqual({
        name: 'things-get',
        subject: `${prefix}.things.get`,
        queue_group: '',
        num_requests: 3,
        num_errors: 1,
        last_error: 'not_found: no thing\nmissing',
        processing_time: 150_000_000,
        average_processing_time: 50_000_000,
      });
      expect(stats?.endpoints[1]).toMatchObject({ name: 'things-list', num_requests: 0, num_errors: 0 });
      const after = await registry.metrics();
      expect(after).toContain(`churnflow_requests_total{endpoint="things.get",outcome="ok"} 2`);
      expect(after).toContain(`churnflow_requests_total{endpoint="things.get",outcome="not_found"} 1`);
      expect(after).toContain(`churnflow_request_seconds_count{endpoint="things.get"} 3`);
      const sum = /churnflow_request_seconds_sum\{endpoint="things.get"\} (\S+)/.exec(after)?.[1];
      expect(Number(sum)).toBeCloseTo(0.15, 9);
    } finally {
      service.stop();
    }
  });

  it('replies in the request encoding, errors with the service error headers and the coded body', async () => {
    const prefix = uniqueName('svc').toLowerCase();
    const { service } = serve(fx.nc, prefix);
    try {
      const ok = await ask(`${prefix}.things.get`, { id: 'a' }, 'application/msgpack');
      expect(ok.headers?.get('Content-Type')).toBe('application/msgpack');
      expect(ok.headers?.has('Nats-Service-Error-Code')).toBe(false);
      expect(decodeMsgpack(ok.data)).toEqual({ id: 'a' });
      const refused = await ask(`${prefix}.things.get`, { id: 'missing' }, 'application/msgpack');
      expect(refused.headers?.get('Content-Type')).toBe('application/msgpack');
      expect(refused.headers?.get('Nats-Service-Error-Code')).toBe('404');
      // The message on one line: a requester's newline cannot forge a header.
      expect(refused.headers?.get('Nats-Service-Error')).toBe('no thing missing');
      expect(decodeMsgpack(refused.data)).toEqual({
        error: { code: 'not_found', message: 'no thing\nmissing' },
      });
      const undecodable = await fx.nc.request(`${prefix}.things.get`, '{', { timeout: 5_000 });
      expect(undecodable.headers?.get('Content-Type')).toBe('application/json');
      expect(undecodable.headers?.get('Nats-Service-Error-Code')).toBe('400');
      expect(undecodable.json()).toMatchObject({ error: { code: 'undecodable' } });
    } finally {
      service.stop();
    }
  });

  it('leaves a customer request to the instance that holds it, and shares queue-group requests', async () => {
    const prefix = uniqueName('svc').toLowerCase();
    const clock = manualClock();
    const owner = serve(fx.nc, prefix);
    const other = serve(fx.nc, prefix, {
      endpoints: [
        { endpoint: thingsGet(clock, () => false) },
        { endpoint: thingsList, queue: `${prefix}.q` },
      ],
    });
    try {
      await fx.nc.flush();
      const replies: Msg[] = [];
      for await (const m of await fx.nc.requestMany(`${prefix}.things.get`, JSON.stringify({ id: 'a' }), {
        maxWait: 300,
      }))
        replies.push(m);
      expect(replies.map((m) => m.json())).toEqual([{ id: 'a' }]);
      for (let i = 0; i < 10; i++) await fx.nc.request(`${prefix}.things.list`, '', { timeout: 5_000 });
      const [a] = await gather<StatsResponse>(`$SRV.STATS.churnflow.${owner.service.id}`);
      const [b] = await gather<StatsResponse>(`$SRV.STATS.churnflow.${other.service.id}`);
      // The instance that stayed silent did not answer, so its STATS do not count the request.
      expect(a?.endpoints[0]?.num_requests).toBe(1);
      expect(b?.endpoints[0]?.num_requests).toBe(0);
      expect(await other.registry.metrics()).toContain(
        `churnflow_requests_total{endpoint="things.get",outcome="elsewhere"} 1`,
      );
      // One member of the queue group answers each request.
      expect((a?.endpoints[1]?.num_requests ?? 0) + (b?.endpoints[1]?.num_requests ?? 0)).toBe(10);
    } finally {
      owner.service.stop();
      other.service.stop();
    }
  });

  it('refuses names and versions the protocol would not carry, before subscribing', () => {
    const prefix = uniqueName('svc').toLowerCase();
    expect(() => serve(fx.nc, prefix, { name: 'churn.flow' })).toThrow(/name "churn.flow"/);
    expect(() => serve(fx.nc, prefix, { version: '1.2' })).toThrow(/version "1.2"/);
  });
});
