import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import type { InfoResponse, PingResponse, StatsResponse } from '../../src/requests/index.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const REQUESTS = [
  'customers.get',
  'customers.erase',
  'segments.list',
  'segments.dryrun',
  'aggregates.get',
  'models.status',
  'models.rollback',
  'models.unpin',
];
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx[Symbol.asyncDispose]());

/** Every reply to a control request within 300 ms, as JSON (as `nats micro` gathers them). */
async function gather<T>(subject: string): Promise<T[]> {
  const replies: T[] = [];
  for await (const m of await fx.nc.requestMany(subject, '', { maxWait: 300 })) replies.push(m.json<T>());
  return replies;
}

describe('the engine as the NATS micro service churnflow', () => {
  it('is found by $SRV.PING/INFO, answers MessagePack with error headers, and counts in STATS and /metrics', async () => {
    const config = testConfig(fx.server.url);
    const p = config.publish.prefix;
    const js = jetstream(fx.nc);
    const { jetstreamManager } = await import('@nats-io/jetstream');
    await (
      await jetstreamManager(fx.nc)
    ).streams.add({ name: config.nats.stream, subjects: [`${config.ingest.subjectPrefix}.>`] });
    const e = { customerId: 'c-1', type: 'purchase', ts: Date.now() - 86_400_000, value: 12 };
    await js.publish(eventSubject(config.ingest.subjectPrefix, e.customerId, e.type), packr.pack(e));
    await using app = await startTestEngine(config);
    await waitFor(() => app.engine.totals.events === 1, 15_000, 'event applied');

    // Every request is exported at 0 before the first one.
    const before = await (await fetch(`http://127.0.0.1:${app.opsPort}/metrics`)).text();
    for (const r of REQUESTS)
      expect(before).toContain(`churnflow_requests_total{endpoint="${r}",outcome="ok"} 0`);

    const [ping] = (await gather<PingResponse>('$SRV.PING.churnflow')).filter(
      (r) => r.metadata['prefix'] === p,
    );
    expect(ping).toMatchObject({
      type: 'io.nats.micro.v1.ping_response',
      name: 'churnflow',
      version: VERSION,
    });
    const id = ping?.id ?? '';
    const [info] = await gather<InfoResponse>(`$SRV.INFO.churnflow.${id}`);
    expect(info?.endpoints.map((x) => [x.name, x.subject, x.queue_group])).toEqual(
      REQUESTS.map((r) => [r.replace('.', '-'), `${p}.${r}`, '']),
    );

    const h = headers();
    h.set('Content-Type', 'application/msgpack');
    const ask = (customerId: string) =>
      fx.nc.request(`${p}.customers.get`, packr.pack({ customerId }), { timeout: 10_000, headers: h });
    const found = await ask('c-1');
    expect(found.headers?.get('Content-Type')).toBe('application/msgpack');
    expect(decodeMsgpack(found.data)).toMatchObject({ found: true, customerId: 'c-1' });
    const missing = await ask('nobody');
    expect(missing.headers?.get('Nats-Service-Error-Code')).toBe('404');
    expect(missing.headers?.get('Nats-Service-Error')).toBe('no customer "nobody"');
    expect(decodeMsgpack(missing.data)).toMatchObject({ error: { code: 'not_found' } });

    const [stats] = await gather<StatsResponse>(`$SRV.STATS.churnflow.${id}`);
    expect(stats?.endpoints.find((x) => x.name === 'customers-get')).toMatchObject({
      num_requests: 2,
      num_errors: 1,
      last_error: 'not_found: no customer "nobody"',
    });
    const after = await (await fetch(`http://127.0.0.1:${app.opsPort}/metrics`)).text();
    expect(after).toContain('churnflow_requests_total{endpoint="customers.get",outcome="not_found"} 1');
    expect(after).toContain('churnflow_request_seconds_count{endpoint="customers.get"} 2');
  }, 60_000);
});
