/**
 * Freshness: time from an event being stored in JetStream to its score update leaving the engine, at a steady
 * live rate (default 20,000 events/s, the design's budget point: p99 <= 50 ms), measured by the engine's own
 * `churnflow_event_to_score_seconds` histogram; beside it, in the same run, the transport floor: a plain
 * subscriber's publish-to-receive latency for the same messages.
 *
 * Command:  npm run build && node dist/bench/freshness.bench.js [eventsPerSec=20000] [seconds=10] [customers=50000]
 * Needs:    nats-server on PATH; the shipped model in models/.
 */
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/index.js';
import type { CustomerEvent } from '../src/contract/event.js';
import { startEngine } from '../src/engine/index.js';
import { encodeEvents } from '../src/ingest/index.js';
import { createEngineMetrics } from '../src/metrics/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { loadChurnModel, selectBackend } from '../src/score/index.js';
import { loadSegmentRules } from '../src/segment/index.js';
import { createSimulator, DAY_MS } from '../src/simulate/index.js';
import { engineEnds } from './bench-stream.js';

const RATE = Number(process.argv[2] ?? 20_000);
const SECONDS = Number(process.argv[3] ?? 10);
const CUSTOMERS = Number(process.argv[4] ?? 50_000);
const PREFIX = 'fresh';

/** Quantile from cumulative histogram buckets (upper bound of the bucket holding it). */
function quantile(buckets: { le: number; count: number }[], q: number): number {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  return buckets.find((b) => b.count >= q * total)?.le ?? Number.NaN;
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const producer = await connect({ servers: server.url });
  try {
    const config = loadConfig({
      env: {},
      overrides: {
        'nats.url': server.url,
        'nats.stream': 'FRESH',
        'ingest.subjectPrefix': PREFIX,
        'log.level': 'silent',
      },
    });
    const log = pino({ level: 'silent' });
    const registry = new Registry();
    const metrics = createEngineMetrics(registry);
    await selectBackend(log);
    const model = await loadChurnModel('models/churn-default/2');
    const { source, sink } = await engineEnds(nc, {
      stream: 'FRESH',
      prefix: PREFIX,
      consumer: 'engine',
      outPrefix: 'freshout',
      config,
      log,
      metrics,
    });
    const segments = await loadSegmentRules('config/segments.json');
    const engine = startEngine({ config, log, metrics, source, sink, model, segments });

    // Transport floor: the same messages, received by a plain subscriber.
    const floor: number[] = [];
    producer.subscribe(`${PREFIX}.>`, {
      callback: (_err, m) => {
        const sent = Number(m.headers?.get('Sent-At'));
        if (Number.isFinite(sent)) floor.push(performance.timeOrigin + performance.now() - sent);
      },
    });
    const sim = createSimulator({ customers: CUSTOMERS, seed: 3, startMs: Date.now() - 30 * DAY_MS });
    // Realistic per-customer sequences from the simulator, re-stamped with the wall clock as they are sent.
    const events: CustomerEvent[] = [];
    for (const day of sim.batchesBetween(sim.startMs, Date.now())) {
      events.push(...day);
      if (events.length >= RATE * SECONDS) break;
    }
    const perTick = Math.round(RATE / 50);
    const batches = Array.from({ length: Math.ceil(events.length / perTick) }, (_, i) =>
      events.slice(i * perTick, (i + 1) * perTick),
    ).slice(0, SECONDS * 50);
    const { headers } = await import('@nats-io/transport-node');
    let published = 0;
    const t0 = Date.now();
    for (let i = 0; i < batches.length; i++) {
      const due = t0 + i * 20;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const now = Date.now();
      for (const m of encodeEvents(
        (batches[i] ?? []).map((e) => ({ ...e, ts: now })),
        PREFIX,
      )) {
        const h = headers();
        h.set('Sent-At', String(performance.timeOrigin + performance.now()));
        producer.publish(m.subject, m.data, { headers: h });
        published++;
      }
      await producer.flush();
    }
    while (engine.totals.events + engine.totals.deadLetters < published)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const hist = (await metrics.eventToScoreSeconds.get()).values
      .filter((v) => v.metricName?.endsWith('_bucket'))
      .map((v) => ({ le: Number(v.labels['le']) * 1000, count: v.value }));
    await engine.stop();
    model.dispose();
    floor.sort((a, b) => a - b);
    const pick = (q: number) => floor[Math.min(floor.length - 1, Math.floor(q * floor.length))] ?? Number.NaN;
    const achieved = published / ((Date.now() - t0) / 1000);
    console.log(
      `published ${published} events at ~${Math.round(achieved)} events/s over ${customers(CUSTOMERS)}`,
    );
    console.log(
      `transport floor (publish -> plain subscriber): p50 ${pick(0.5).toFixed(2)} ms, p99 ${pick(0.99).toFixed(2)} ms`,
    );
    console.log(
      `engine event -> score update (histogram bucket bounds): p50 <= ${quantile(hist, 0.5)} ms, p90 <= ${quantile(hist, 0.9)} ms, p99 <= ${quantile(hist, 0.99)} ms (budget p99 <= 50 ms)`,
    );
    console.log(
      JSON.stringify({
        bench: 'freshness',
        rate: RATE,
        published,
        floorP99Ms: Number(pick(0.99).toFixed(2)),
        engineP50Ms: quantile(hist, 0.5),
        engineP99Ms: quantile(hist, 0.99),
      }),
    );
  } finally {
    await producer.close();
    await nc.close();
    await server.stop();
  }
}

function customers(n: number): string {
  return `${n.toLocaleString('en')} customers`;
}

await main();
