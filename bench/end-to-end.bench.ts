/**
 * End-to-end throughput: events/s through the whole engine (JetStream in → decode → features → TF.js scores →
 * score updates on NATS), against a bare consumer of the same stream measured in the same run as the ceiling
 * (before and after the engines; the faster of the two counts). The stream is a backlog, as after a restart or an
 * outage: the engine runs once as configured by default (score updates held until caught up) and once with every
 * update published as it happens (`publish.catchUpBehindMs` 0), each on its own durable consumer.
 *
 * Command:  npm run bench:end-to-end -- [events=400000] [customers=40000] [--min-ratio=R]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   bare-consumer events/s, each engine run's events/s, ratios, score updates, the cores busy during each
 *           run (from /proc: all, nats-server, this process) and the cores half the bare consumer's rate would
 *           need at the engine run's costs per event; also as JSON last.
 *           With --min-ratio, exits 1 when the default engine's ratio to the bare consumer is below R (the CI
 *           check: a ratio measured in one run, never an absolute time).
 */
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startEngine } from '../src/engine/index.js';
import { createEngineMetrics } from '../src/metrics/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { loadChurnModel, selectBackend } from '../src/score/index.js';
import { loadSegmentRules } from '../src/segment/index.js';
import { benchEngineConfig, engineEnds, fillStream } from './bench-stream.js';
import { watchCpu, type CpuShare } from './cpu-share.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const minRatio = Number(process.argv.find((a) => a.startsWith('--min-ratio='))?.split('=')[1] ?? NaN);
const EVENTS = Number(args[0] ?? 400_000);
const CUSTOMERS = Number(args[1] ?? 40_000);
// The shipped default model and segment rules: what `npm start` runs with.
const MODEL_DIR = 'models/churn-default/3';
const STREAM = 'BENCH';
const PREFIX = 'bench';

/** The ceiling: a durable pull consumer that only receives and acknowledges (one ack per batch). */
/** CPU microseconds this process spent per event since `since` (user + system; less sensitive to a busy machine). */
function cpuPerEvent(since: NodeJS.CpuUsage, events: number): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / events;
}

/** nats-server's process id, for its share of the cores during each run. */
let serverPid = -1;
const cpuWatch = () => watchCpu({ server: serverPid, process: process.pid });

async function bareConsumer(nc: NatsConnection, total: number, name: string) {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(STREAM, {
    durable_name: name,
    ack_policy: AckPolicy.All,
    max_ack_pending: 50_000,
  });
  const consumer = await jetstream(nc).consumers.get(STREAM, name);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const cores = cpuWatch();
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
  return {
    eventsPerSec: total / ((performance.now() - t0) / 1000),
    cpuUs: cpuPerEvent(cpu0, total),
    cores: cores(),
  };
}

async function engineRun(nc: NatsConnection, url: string, total: number, holdUpdates: boolean) {
  // The stream was filled seconds ago; a production replay's messages are minutes to hours old.
  const config = benchEngineConfig(url, STREAM, PREFIX, {
    'publish.catchUpBehindMs': holdUpdates ? 1_000 : 0,
  });
  const log = pino({ level: 'silent' });
  const metrics = createEngineMetrics(new Registry());
  await selectBackend(log);
  const model = await loadChurnModel(MODEL_DIR);
  const segments = await loadSegmentRules(config.segments.file);
  const { source, sink } = await engineEnds(nc, {
    stream: STREAM,
    prefix: PREFIX,
    consumer: holdUpdates ? 'engine' : 'engine-live',
    outPrefix: 'benchout',
    config,
    log,
    metrics,
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const cores = cpuWatch();
  const engine = startEngine({ config, log, metrics, source, sink, model, segments });
  const sleep = () => new Promise((r) => setTimeout(r, 5));
  while (engine.totals.events + engine.totals.deadLetters < total) await sleep();
  // Caught up means the held updates are out too.
  while (((await metrics.heldUpdates.get()).values[0]?.value ?? 0) > 0) await sleep();
  await engine.stop();
  const seconds = (performance.now() - t0) / 1000;
  const cpuUs = cpuPerEvent(cpu0, total);
  const used = cores();
  model.dispose();
  return {
    eventsPerSec: total / seconds,
    cpuUs,
    cores: used,
    scoreUpdates: engine.totals.scoreUpdates,
    customers: engine.store.size,
  };
}

const rate = (r: { eventsPerSec: number; cpuUs: number; cores: CpuShare }): string =>
  `${Math.round(r.eventsPerSec).toLocaleString('en')} events/s, ${r.cpuUs.toFixed(1)} µs CPU per event; ` +
  `cores busy ${r.cores.machine.toFixed(2)}: nats-server ${(r.cores.processes.server ?? NaN).toFixed(2)}, ` +
  `this process ${(r.cores.processes.process ?? NaN).toFixed(2)}`;
const coresJson = (c: CpuShare) => ({
  machine: round2(c.machine),
  server: round2(c.processes.server ?? NaN),
  process: round2(c.processes.process ?? NaN),
});
const round2 = (x: number): number => Math.round(x * 100) / 100;
type Run = { eventsPerSec: number; cpuUs: number; cores: CpuShare };

/**
 * The cores the budget's rate (half the bare consumer's) would take at the engine run's measured costs per event:
 * nats-server's CPU (delivering, and taking the engine's acks, pulls and updates) plus the engine's own. Above the
 * machine's cores, the rate cannot be reached here however the engine's work is spread over threads.
 */
function coresAtHalfBare(bare: Run, engine: Run) {
  const rate = bare.eventsPerSec / 2;
  const serverUs = round2(((engine.cores.processes.server ?? NaN) * 1e6) / engine.eventsPerSec);
  const engineUs = round2(engine.cpuUs);
  return { rate: Math.round(rate), serverUs, engineUs, cores: (rate * (serverUs + engineUs)) / 1e6 };
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  serverPid = server.pid;
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
    const bareBefore = await bareConsumer(nc, total, 'bare-before');
    console.log(`bare consumer (ceiling):        ${rate(bareBefore)}`);
    const held = await engineRun(nc, server.url, total, true);
    console.log(`engine, default:                ${rate(held)}`);
    const live = await engineRun(nc, server.url, total, false);
    console.log(`engine, every update published: ${rate(live)}`);
    const bareAfter = await bareConsumer(nc, total, 'bare-after');
    console.log(`bare consumer again:            ${rate(bareAfter)}`);
    const bare = bareBefore.eventsPerSec >= bareAfter.eventsPerSec ? bareBefore : bareAfter;
    const ratio = held.eventsPerSec / bare.eventsPerSec;
    const liveRatio = live.eventsPerSec / bare.eventsPerSec;
    console.log(
      `ratio engine / bare:            ${ratio.toFixed(2)} (every update published: ${liveRatio.toFixed(2)}); ` +
        `CPU per event ${(held.cpuUs / bare.cpuUs).toFixed(1)}x the bare consumer's (${(live.cpuUs / bare.cpuUs).toFixed(1)}x)`,
    );
    console.log(
      `score updates published:        ${held.scoreUpdates} (every update: ${live.scoreUpdates}) for ${held.customers} customers`,
    );
    const need = coresAtHalfBare(bare, held);
    console.log(
      `at 0.5x the bare consumer (${Math.round(need.rate).toLocaleString('en')} events/s), this run's costs per event ` +
        `(nats-server ${need.serverUs.toFixed(1)} µs, engine ${need.engineUs.toFixed(1)} µs) need ` +
        `${need.cores.toFixed(2)} cores; this machine has ${availableParallelism()}`,
    );
    console.log(
      JSON.stringify({
        bench: 'end-to-end',
        events: total,
        customers: CUSTOMERS,
        bareEventsPerSec: Math.round(bare.eventsPerSec),
        engineEventsPerSec: Math.round(held.eventsPerSec),
        ratio: Number(ratio.toFixed(3)),
        everyUpdateEventsPerSec: Math.round(live.eventsPerSec),
        everyUpdateRatio: Number(liveRatio.toFixed(3)),
        cpuUsPerEvent: {
          bare: round2(bare.cpuUs),
          engine: round2(held.cpuUs),
          everyUpdate: round2(live.cpuUs),
        },
        cores: {
          bare: coresJson(bare.cores),
          engine: coresJson(held.cores),
          everyUpdate: coresJson(live.cores),
        },
        coresAtHalfBare: { ...need, cores: round2(need.cores) },
        scoreUpdates: held.scoreUpdates,
        everyUpdateScoreUpdates: live.scoreUpdates,
      }),
    );
    if (ratio < minRatio) {
      console.error(`end-to-end ratio ${ratio.toFixed(3)} is below the floor ${minRatio}`);
      process.exitCode = 1;
    }
  } finally {
    await nc.close();
    await server.stop();
  }
}

await main();
