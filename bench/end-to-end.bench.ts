/**
 * End-to-end throughput: events/s through the whole engine (JetStream in → decode → features → TF.js scores →
 * score updates on NATS), against a bare consumer of the same stream measured in the same run as the ceiling.
 *
 * Command:  npm run build && node dist/bench/end-to-end.bench.js [events=400000] [customers=40000]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   bare-consumer events/s, engine events/s, their ratio, score updates published; also as JSON last.
 */
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/index.js';
import { startEngine } from '../src/engine/index.js';
import { createEngineMetrics } from '../src/metrics/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { loadChurnModel, selectBackend } from '../src/score/index.js';
import { engineEnds, fillStream } from './bench-stream.js';

const EVENTS = Number(process.argv[2] ?? 400_000);
const CUSTOMERS = Number(process.argv[3] ?? 40_000);
const STREAM = 'BENCH';
const PREFIX = 'bench';

/** The ceiling: a durable pull consumer that only receives and acknowledges (one ack per batch). */
async function bareConsumer(nc: NatsConnection, total: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(STREAM, {
    durable_name: 'bare',
    ack_policy: AckPolicy.All,
    max_ack_pending: 50_000,
  });
  const consumer = await jetstream(nc).consumers.get(STREAM, 'bare');
  const t0 = performance.now();
  let got = 0;
  let last: JsMsg | undefined;
  let scheduled = false;
  await new Promise<void>((resolve) => {
    void consumer.consume({
      max_messages: 2000,
      callback: (m) => {
        got++;
        last = m;
        if (got === total) {
          m.ack();
          resolve();
        } else if (!scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            last?.ack();
          });
        }
      },
    });
  });
  return total / ((performance.now() - t0) / 1000);
}

async function engineRun(nc: NatsConnection, url: string, total: number) {
  const config = loadConfig({
    env: {},
    overrides: {
      'nats.url': url,
      'nats.stream': STREAM,
      'ingest.subjectPrefix': PREFIX,
      'log.level': 'silent',
    },
  });
  const log = pino({ level: 'silent' });
  const metrics = createEngineMetrics(new Registry());
  await selectBackend(log);
  const model = await loadChurnModel('models/churn-default/1');
  const { source, sink } = await engineEnds(nc, {
    stream: STREAM,
    prefix: PREFIX,
    consumer: 'engine',
    outPrefix: 'benchout',
    config,
    log,
    metrics,
  });
  const t0 = performance.now();
  const engine = startEngine({ config, log, metrics, source, sink, model });
  while (engine.totals.events + engine.totals.deadLetters < total) await new Promise((r) => setTimeout(r, 5));
  await engine.stop();
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return {
    eventsPerSec: total / seconds,
    scoreUpdates: engine.totals.scoreUpdates,
    customers: engine.store.size,
  };
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: [`${PREFIX}.>`] });
    const tFill = performance.now();
    const total = await fillStream(nc, {
      stream: STREAM,
      prefix: PREFIX,
      customers: CUSTOMERS,
      max: EVENTS,
      seed: 7,
    });
    console.log(
      `stream filled: ${total} events of ${CUSTOMERS} customers in ${((performance.now() - tFill) / 1000).toFixed(1)} s`,
    );
    const bare = await bareConsumer(nc, total);
    console.log(`bare consumer (ceiling): ${Math.round(bare).toLocaleString('en')} events/s`);
    const run = await engineRun(nc, server.url, total);
    console.log(`engine end to end:       ${Math.round(run.eventsPerSec).toLocaleString('en')} events/s`);
    console.log(`ratio engine / bare:     ${(run.eventsPerSec / bare).toFixed(2)}`);
    console.log(`score updates published: ${run.scoreUpdates} for ${run.customers} customers`);
    console.log(
      JSON.stringify({
        bench: 'end-to-end',
        events: total,
        customers: CUSTOMERS,
        bareEventsPerSec: Math.round(bare),
        engineEventsPerSec: Math.round(run.eventsPerSec),
        ratio: Number((run.eventsPerSec / bare).toFixed(3)),
        scoreUpdates: run.scoreUpdates,
      }),
    );
  } finally {
    await nc.close();
    await server.stop();
  }
}

await main();
