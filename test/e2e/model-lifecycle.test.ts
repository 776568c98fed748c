import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, renameSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { jetstream } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { eventSubject } from '../../src/contract/subjects.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { scrapeMetric, startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const DAY = 86_400_000;
let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx[Symbol.asyncDispose]());

/** Drops a model version the way the README says: staged under a dot name, then renamed. */
function dropVersion(modelsDir: string, from: string, version: string, damage?: (dir: string) => void): void {
  const staged = join(modelsDir, 'churn-default', `.${version}.tmp`);
  cpSync(from, staged, { recursive: true });
  damage?.(staged);
  renameSync(staged, join(modelsDir, 'churn-default', version));
}

describe('model lifecycle in a running engine', () => {
  it('swaps in a new version without restart, refuses a broken one, rolls back on request', async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), 'cf-models-'));
    cpSync('models/churn-default/1', join(modelsDir, 'churn-default', '1'), { recursive: true });
    const config = testConfig(fx.server.url, { 'score.modelsDir': modelsDir });
    await using app = await startTestEngine(config);
    const updates: Array<Record<string, unknown>> = [];
    const sub = fx.nc.subscribe(`${config.publish.prefix}.scores.>`, {
      callback: (_err, m) => {
        updates.push(decodeMsgpack(m.data) as Record<string, unknown>);
      },
    });
    const js = jetstream(fx.nc);
    const now = Date.now();
    const publishCustomer = async (id: string) => {
      for (const [type, ago, value] of [
        ['signup', 60, undefined],
        ['purchase', 50, 40],
        ['purchase', 20, 25],
        ['page_view', 1, undefined],
      ] as const) {
        const e = { customerId: id, type, ts: now - ago * DAY, ...(value === undefined ? {} : { value }) };
        await js.publish(eventSubject(config.ingest.subjectPrefix, id, type), packr.pack(e));
      }
    };
    const versionOf = (id: string) =>
      (updates.filter((u) => u['customerId'] === id).at(-1)?.['model'] as { version?: string } | undefined)
        ?.version;

    await publishCustomer('first');
    await waitFor(() => versionOf('first') === '1', 15_000, 'an update from version 1');

    dropVersion(modelsDir, 'models/churn-default/3', '3');
    await waitFor(() => app.models.current().version === '3', 20_000, 'version 3 admitted');
    await publishCustomer('second');
    await waitFor(() => versionOf('second') === '3', 15_000, 'an update from version 3');
    const v3 = updates.filter((u) => u['customerId'] === 'second').at(-1) as Record<string, unknown>;
    // Version 3's manifest carries BG/NBD and Gamma-Gamma parameters and its model explains itself.
    expect(v3['pAlive']).toBeGreaterThan(0);
    expect(v3['pAlive']).toBeLessThanOrEqual(1);
    expect(v3['expectedPurchases']).toBeGreaterThanOrEqual(0);
    expect(v3['predictedClv']).toBeGreaterThan(0);
    const reasons = v3['reasons'] as Array<{ feature: string; direction: string; weight: number }>;
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.length).toBeLessThanOrEqual(config.score.reasons);
    for (const r of reasons) {
      expect(r.direction === 'up' ? r.weight > 0 : r.weight < 0).toBe(true);
      expect(r.feature).toMatch(/^[a-z0-9_]+$/);
    }

    dropVersion(modelsDir, 'models/churn-default/3', '4', (dir) => {
      const weights = join(dir, 'weights.bin');
      truncateSync(weights, Math.floor(statSync(weights).size / 2));
    });
    await waitFor(
      async () => (await scrapeMetric(app.opsPort, 'churnflow_model_refused_total')) >= 1,
      20_000,
      'version 4 refused',
    );
    expect(app.models.current().version).toBe('3');

    const rollback = await fx.nc.request(`${config.publish.prefix}.models.rollback`, undefined, {
      timeout: 10_000,
    });
    expect(rollback.json()).toMatchObject({ ok: true, version: '1', replaced: '3' });
    await publishCustomer('third');
    await waitFor(() => versionOf('third') === '1', 15_000, 'an update from version 1 after rollback');
    const status = (await fx.nc.request(`${config.publish.prefix}.models.status`)).json<{
      current: string;
      refused: Array<{ version: string }>;
    }>();
    expect(status.current).toBe('1');
    expect(status.refused.map((r) => r.version)).toContain('4');
    sub.unsubscribe();
  }, 90_000);
});

describe('a shadow challenger', () => {
  it('scores the same batches, publishes only on the shadow subject, and exports agreement and PSI', async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), 'cf-models-'));
    cpSync('models/churn-default/2', join(modelsDir, 'churn-default', '2'), { recursive: true });
    cpSync('models/churn-default/1', join(modelsDir, 'challenger', '1'), { recursive: true });
    const config = testConfig(fx.server.url, {
      'score.modelsDir': modelsDir,
      'score.shadowModel': 'challenger',
      'score.publishShadow': true,
    });
    await using app = await startTestEngine(config);
    const shadow: Array<Record<string, unknown>> = [];
    const champion: Array<Record<string, unknown>> = [];
    const subs = [
      fx.nc.subscribe(`${config.publish.prefix}.shadow.scores.>`, {
        callback: (_err, m) => {
          shadow.push(decodeMsgpack(m.data) as Record<string, unknown>);
        },
      }),
      fx.nc.subscribe(`${config.publish.prefix}.scores.>`, {
        callback: (_err, m) => {
          champion.push(decodeMsgpack(m.data) as Record<string, unknown>);
        },
      }),
    ];
    const js = jetstream(fx.nc);
    for (let c = 0; c < 30; c++) {
      const e = { customerId: `s${c}`, type: 'purchase', ts: Date.now() - c * DAY, value: 10 + c };
      await js.publish(eventSubject(config.ingest.subjectPrefix, e.customerId, e.type), packr.pack(e));
    }
    await waitFor(() => new Set(shadow.map((s) => s['customerId'])).size === 30, 15_000, 'shadow scores');
    await waitFor(() => new Set(champion.map((s) => s['customerId'])).size === 30, 15_000, 'champion scores');
    // The challenger directory holds version 1 (its manifest names it churn-default 1); the champion is 2.
    expect(shadow.every((s) => (s['model'] as { version: string }).version === '1')).toBe(true);
    expect(champion.every((s) => (s['model'] as { version: string }).version === '2')).toBe(true);
    expect(await scrapeMetric(app.opsPort, 'churnflow_shadow_rows_total')).toBeGreaterThanOrEqual(30);
    const agreement = await scrapeMetric(app.opsPort, 'churnflow_shadow_agreement_ratio');
    expect(agreement).toBeGreaterThanOrEqual(0);
    expect(agreement).toBeLessThanOrEqual(1);
    expect(Number.isFinite(await scrapeMetric(app.opsPort, 'churnflow_shadow_psi'))).toBe(true);
    expect(await scrapeMetric(app.opsPort, 'churnflow_model_info', { role: 'shadow', version: '1' })).toBe(1);
    subs.forEach((s) => s.unsubscribe());
  }, 60_000);
});
