/**
 * Publish failures and rules reloads, counted where they happen and read back over HTTP as Prometheus scrapes them
 * (a real nats-server; the ops server of src/metrics/http.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngineMetrics,
  readinessReport,
  startOpsServer,
  type OpsServer,
} from '../../src/metrics/index.js';
import { natsSink } from '../../src/publish/index.js';
import { watchSegmentRules } from '../../src/segment/index.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { scrapeMetric, waitFor } from '../helpers/engine.js';

let fx: NatsFixture;
beforeAll(async () => (fx = await natsFixture()));
afterAll(async () => fx[Symbol.asyncDispose]());

async function ops(registry: Registry): Promise<OpsServer & AsyncDisposable> {
  const server = await startOpsServer(
    registry,
    { live: () => true, readiness: () => readinessReport([]) },
    '127.0.0.1',
    0,
  );
  return { ...server, [Symbol.asyncDispose]: () => server.close() };
}

describe('churnflow_publish_failures_total{kind}', () => {
  it('starts at 0 for every kind and counts score publishes that fail', async () => {
    const metrics = createEngineMetrics(new Registry());
    await using server = await ops(metrics.registry);
    for (const kind of ['score', 'segment', 'stage', 'dead_letter']) {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(text).toContain(`churnflow_publish_failures_total{kind="${kind}"} 0`);
    }
    const nc = await connect({ servers: fx.server.url });
    const sink = natsSink({ nc, js: jetstream(nc), prefix: 'out', encoding: 'json', metrics });
    await nc.close();
    const update = { customerId: 'c1', churnRisk: 0.5 } as unknown as Parameters<
      typeof sink.publishScores
    >[0][0];
    // A closed connection refuses the publish: it is thrown on as before, and counted.
    expect(() => sink.publishScores([update])).toThrow();
    expect(await scrapeMetric(server.port, 'churnflow_publish_failures_total', { kind: 'score' })).toBe(1);
    expect(await scrapeMetric(server.port, 'churnflow_publish_failures_total', { kind: 'stage' })).toBe(0);
  });
});

describe('churnflow_rules_reloads_total{outcome}', () => {
  it('counts applied and refused reloads of the rules file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-'));
    try {
      const file = join(dir, 'segments.json');
      const good = (enter: string) => JSON.stringify({ segments: [{ name: 'buyers', enter }] });
      await writeFile(file, good('churnRisk > 0.5'));
      const metrics = createEngineMetrics(new Registry());
      await using server = await ops(metrics.registry);
      const reloads = (outcome: string) =>
        scrapeMetric(server.port, 'churnflow_rules_reloads_total', { outcome });
      expect([await reloads('applied'), await reloads('refused')]).toEqual([0, 0]);
      let applied = 0;
      const watch = watchSegmentRules(
        file,
        () => applied++,
        () => undefined,
        { debounceMs: 20, metrics },
      );
      try {
        await writeFile(file, good('churnRisk > 0.6'));
        await waitFor(async () => (await reloads('applied')) === 1, 10_000, 'an applied reload');
        await writeFile(file, '{ not json');
        await waitFor(async () => (await reloads('refused')) === 1, 10_000, 'a refused reload');
        expect(await reloads('applied')).toBe(1);
        expect(applied).toBe(1);
      } finally {
        watch.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
