/**
 * The operator metrics of a real engine on a real nats-server, scraped over HTTP as Prometheus does: types and
 * labels, `promtool check metrics` on the text (Debian's prometheus package), values that move when they should,
 * no shadow metrics without a shadow model, and every family documented in README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedRegistry } from '../../scripts/metrics-doc.js';
import { eventSubject } from '../../src/contract/subjects.js';
import { natsFixture, type NatsFixture } from '../helpers/nats.js';
import { scrapeMetric, startTestEngine, testConfig, waitFor } from '../helpers/engine.js';

const packr = new Packr({ useRecords: false });
const PROMTOOL = '/usr/bin/promtool';

let fx: NatsFixture;
beforeAll(async () => (fx = await natsFixture()));
afterAll(async () => fx[Symbol.asyncDispose]());

const scrape = async (port: number): Promise<string> =>
  (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const typeOf = (text: string, name: string): string | undefined =>
  new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('operator metrics of a running engine', () => {
  it('export lag, replay, state, build and failure counters by convention, and no shadow metrics', async () => {
    const config = testConfig(fx.server.url);
    const prefix = config.ingest.subjectPrefix;
    const jsm = await jetstreamManager(fx.nc);
    // A backlog before the start, so the replay has something to count down.
    await jsm.streams.add({ name: config.nats.stream, subjects: [`${prefix}.>`] });
    const now = Date.now();
    for (let i = 0; i < 3_000; i++) {
      const event = { customerId: `c${i % 300}`, type: 'page_view', ts: now - 60_000 + i };
      fx.nc.publish(eventSubject(prefix, event.customerId, event.type), packr.pack(event));
    }
    await fx.nc.flush();
    await waitFor(async () => (await jsm.streams.info(config.nats.stream)).state.messages === 3_000);

    await using app = await startTestEngine(config);
    const port = app.opsPort;
    await waitFor(
      async () => (await scrapeMetric(port, 'churnflow_events_total', { type: 'page_view' })) === 3_000,
      20_000,
      'the backlog applied',
    );
    await waitFor(
      async () => sample(await scrape(port), 'churnflow_replay_remaining_messages{partition="0"}') === 0,
      // The consumer-info poll backs off when reads are slow (a loaded machine): give it time.
      30_000,
      'the replay caught up',
    ).catch(async (err: unknown) => {
      const lines = (await scrape(port))
        .split('\n')
        .filter((l) => /replay|pending_messages|not_ready/.test(l));
      throw new Error(`${String(err)}: ${lines.join('; ')}`);
    });
    const text = await scrape(port);

    expect(typeOf(text, 'churnflow_build_info')).toBe('gauge');
    const build = /^churnflow_build_info\{version="([^"]+)",backend="([^"]+)",node="([^"]+)"\} 1$/m.exec(
      text,
    );
    expect(build?.slice(1)).toEqual([
      '0.1.0',
      expect.stringMatching(/^(wasm|tensorflow)$/),
      process.versions.node,
    ]);

    expect(typeOf(text, 'churnflow_consumer_pending_messages')).toBe('gauge');
    expect(sample(text, 'churnflow_consumer_pending_messages{partition="0"}')).toBeGreaterThanOrEqual(0);
    expect(typeOf(text, 'churnflow_replay_remaining_messages')).toBe('gauge');

    // 300 customers' columns: the store's arrays, not 0.
    expect(sample(text, 'churnflow_state_bytes')).toBeGreaterThan(0);
    // The newest event is about a minute old; the watermark follows event time.
    const lag = sample(text, 'churnflow_event_time_lag_seconds')!;
    expect(lag).toBeGreaterThan(30);
    expect(lag).toBeLessThan(600);

    for (const kind of ['score', 'segment', 'stage', 'dead_letter']) {
      expect(sample(text, `churnflow_publish_failures_total{kind="${kind}"}`)).toBe(0);
    }
    expect(typeOf(text, 'churnflow_publish_failures_total')).toBe('counter');
    for (const outcome of ['applied', 'refused']) {
      expect(sample(text, `churnflow_rules_reloads_total{outcome="${outcome}"}`)).toBe(0);
    }
    // Known labels at 0 from the start, so rate() sees the first rise.
    expect(sample(text, 'churnflow_dead_letters_total{reason="undecodable"}')).toBe(0);
    expect(sample(text, 'churnflow_nats_incidents_total{kind="disconnect"}')).toBe(0);

    // No shadow model configured: no churnflow_shadow_* at all (an agreement of 0 would read as disagreement).
    expect(text).not.toMatch(/^churnflow_shadow_/m);
    expect(text).not.toMatch(/^# TYPE churnflow_shadow_/m);

    // Every churnflow family the engine exports is in README.md's generated list.
    const documented = new Set(
      documentedRegistry()
        .getMetricsAsArray()
        .map((m) => m.name),
    );
    const exported = [...text.matchAll(/^# TYPE (churnflow_\w+) /gm)].map((m) => m[1]!);
    expect(exported.filter((name) => !documented.has(name))).toEqual([]);

    if (existsSync(PROMTOOL)) {
      // promtool prints problems and exits 3 on errors; lint findings on process metrics are not ours.
      const out = runPromtool(text);
      expect(out.split('\n').filter((l) => l.startsWith('churnflow_'))).toEqual([]);
    }
  }, 90_000);

  it('reads NaN event-time lag before the first event', async () => {
    await using app = await startTestEngine(testConfig(fx.server.url));
    const text = await scrape(app.opsPort);
    expect(sample(text, 'churnflow_event_time_lag_seconds')).toBeNaN();
  }, 30_000);
});

function runPromtool(text: string): string {
  try {
    return execFileSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}
