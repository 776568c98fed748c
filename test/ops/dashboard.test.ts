import { cpSync, mkdtempSync, readFileSync, renameSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { parser } from '@prometheus-io/lezer-promql';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_PATH, dashboardJson } from '../../scripts/dashboard.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { startTestEngine, testConfig, waitFor } from '../helpers/engine.js';
import { natsFixture } from '../helpers/nats.js';
import { hasBinary, startPrometheus } from './prometheus.js';

interface Target {
  readonly panel: string;
  readonly expr: string;
}
const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as {
  schemaVersion: number;
  templating: { list: Array<{ name: string; type: string }> };
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
};
const targets: Target[] = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
/** Grafana's variables as the "All" selection and a rate window that covers five 1 s scrapes. */
const resolve = (expr: string): string =>
  expr.replaceAll('$__rate_interval', '5s').replaceAll('$instance', '.*').replaceAll('$partition', '.*');
const packr = new Packr({ useRecords: false });
const DAY = 86_400_000;

describe('the Grafana dashboard', () => {
  it('is what scripts/dashboard.ts generates, with datasource, instance and partition variables', async () => {
    expect(readFileSync(DASHBOARD_PATH, 'utf8'), 'run npm run dashboard').toBe(await dashboardJson());
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance', 'partition']);
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Keeping up',
      'Healthy',
      'Model sane',
      'Business',
    ]);
  });

  it('has only PromQL that parses', () => {
    expect(targets.length).toBeGreaterThan(20);
    for (const t of targets) {
      const errors: number[] = [];
      parser.parse(resolve(t.expr)).iterate({ enter: (n) => void (n.type.isError && errors.push(n.from)) });
      expect(errors, `panel "${t.panel}": ${t.expr}`).toEqual([]);
    }
  });

  it.skipIf(!hasBinary('prometheus'))(
    'returns data for every query from a real Prometheus scraping a running engine with a shadow model',
    async () => {
      await using fx = await natsFixture();
      const modelsDir = mkdtempSync(join(tmpdir(), 'cf-models-'));
      cpSync('models/churn-default/2', join(modelsDir, 'churn-default', '2'), { recursive: true });
      cpSync('models/churn-default/1', join(modelsDir, 'challenger', '1'), { recursive: true });
      const config = testConfig(fx.server.url, {
        'score.modelsDir': modelsDir,
        'score.shadowModel': 'challenger',
        'snapshot.intervalMs': 1_000,
        'aggregates.passMs': 1_000,
      });
      await using app = await startTestEngine(config);
      await using prom = await startPrometheus([`127.0.0.1:${app.opsPort}`]);

      // Traffic: one-time buyers (segment entries), repeat buyers, and one message that is not an event.
      const js = jetstream(fx.nc);
      const now = Date.now();
      for (let c = 0; c < 40; c++) {
        const id = `c${c}`;
        for (const [type, ago] of [
          ['signup', 60],
          ['purchase', 20 + (c % 10)],
          ['page_view', 1],
        ] as const) {
          const e = {
            customerId: id,
            type,
            ts: now - ago * DAY,
            ...(type === 'purchase' ? { value: 10 + c } : {}),
          };
          await js.publish(eventSubject(config.ingest.subjectPrefix, id, type), packr.pack(e));
        }
      }
      await js.publish(eventSubject(config.ingest.subjectPrefix, 'bad', 'purchase'), new Uint8Array([0xc1]));
      // A newer champion (a swap), then a broken one (a refusal).
      const drop = (version: string, damage?: (dir: string) => void): void => {
        const staged = join(modelsDir, 'churn-default', `.${version}.tmp`);
        cpSync('models/churn-default/3', staged, { recursive: true });
        damage?.(staged);
        renameSync(staged, join(modelsDir, 'churn-default', version));
      };
      drop('3');
      await waitFor(() => app.models.current().version === '3', 20_000, 'version 3 admitted');
      drop('4', (dir) =>
        truncateSync(join(dir, 'weights.bin'), Math.floor(statSync(join(dir, 'weights.bin')).size / 2)),
      );

      const exposition = await (await fetch(`http://127.0.0.1:${app.opsPort}/metrics`)).text();
      const pending = new Map(targets.map((t) => [t.expr, t]));
      const deadline = Date.now() + 40_000;
      while (pending.size > 0 && Date.now() < deadline) {
        for (const [expr] of pending) if ((await prom.query(resolve(expr))).length > 0) pending.delete(expr);
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
      }
      const empty = [...pending.values()].map((t) => `panel "${t.panel}": ${t.expr}`);
      expect(empty, 'queries with no data after 40 s').toEqual([]);
      // A query made non-empty by `or vector(0)` must still name metrics the engine exports.
      for (const t of targets) {
        for (const [name] of t.expr.matchAll(/churnflow_[a-z_]+/g)) {
          const family = name.replace(/_(bucket|sum|count)$/, '');
          expect(exposition, `panel "${t.panel}" reads ${name}`).toMatch(
            new RegExp(`^# TYPE (${name}|${family}) `, 'm'),
          );
        }
      }
    },
    60_000,
  );
});
