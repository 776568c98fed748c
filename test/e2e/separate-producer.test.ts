import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { scrapeMetric, startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const run = promisify(execFile);
let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx[Symbol.asyncDispose]());

describe('a producer in another process', () => {
  it('publishes thousands of msgpack events that come back as score updates for every customer', async () => {
    const config = testConfig(fx.server.url);
    await using app = await startTestEngine(config);
    const latest = new Map<string, Record<string, unknown>>();
    const contentTypes = new Set<string | undefined>();
    const sub = fx.nc.subscribe(`${config.publish.prefix}.scores.>`, {
      callback: (_err, m) => {
        contentTypes.add(m.headers?.get('Content-Type'));
        const u = decodeMsgpack(m.data) as Record<string, unknown>;
        latest.set(u['customerId'] as string, u);
      },
    });
    const customers = 200;
    const { stdout } = await run(process.execPath, [
      'test/fixtures/producer.mjs',
      fx.server.url,
      config.ingest.subjectPrefix,
      String(customers),
      '20',
    ]);
    const sent = Number(stdout.trim());
    expect(sent).toBe(customers * 20);

    await waitFor(() => latest.size === customers, 20_000, 'an update for every customer');
    await waitFor(() => app.engine.totals.events === sent, 10_000, 'every event applied');
    expect(app.engine.totals.deadLetters).toBe(0);
    expect([...contentTypes]).toEqual(['application/msgpack']);
    for (const [id, u] of latest) {
      expect(id).toMatch(/^shop-\d+@example\.com$/);
      expect(Object.keys(u)).toEqual(
        expect.arrayContaining([
          'customerId',
          'churnRisk',
          'engagement',
          'stage',
          'segments',
          'reasons',
          'model',
          'eventTime',
          'seq',
        ]),
      );
      expect(u['model']).toEqual({ name: 'churn-default', version: app.models.current().version });
      expect(u['seq']).toBeGreaterThanOrEqual(1);
    }
    expect(await scrapeMetric(app.opsPort, 'churnflow_events_total')).toBe(sent);
    expect(await scrapeMetric(app.opsPort, 'churnflow_customers')).toBe(customers);
    sub.unsubscribe();
  });
});
