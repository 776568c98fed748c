/**
 * Micro-batching: scoring each row alone against micro-batches, end to end through the real engine (JetStream in →
 * decode → state → TF.js model, segments → score updates on NATS) over the same stream in the same run. Each setting
 * of score.maxBatch gets a fresh engine, as configured by default otherwise (the stream is a backlog: updates are
 * held until caught up), on its own durable consumer: 1 (per event: one model call per row), 128 and the default
 * 2048 (batches fill up to it while rows wait, at most score.maxDelayMs). Beside it, the model alone per row at batch
 * 1 and 2048, on the features of the customers the engine ended with. Runs go from the largest batch to 1, so JIT
 * warm-up, if anything, favours per-event scoring.
 *
 * Command:  npm run build && node --expose-gc dist/bench/micro-batching.bench.js [events=50000] [customers=10000]
 *           [maxBatch list=2048,128,1]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model models/churn-default/3 and
 *           segment rules config/segments.json.
 * Prints:   a table (score.maxBatch, events/s, CPU µs per event, rows per model call, score updates, × maxBatch 1 in
 *           events/s and in CPU), the model alone at batch 1 and 2048, then one JSON line.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startEngine } from '../src/engine/index.js';
import { createEngineMetrics, type EngineMetrics } from '../src/metrics/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { loadChurnModel, selectBackend, type ChurnModel } from '../src/score/index.js';
import { loadSegmentRules, type SegmentRuleSet } from '../src/segment/index.js';
import { FEATURE_COUNT, type CustomerStore } from '../src/state/index.js';
import { benchEngineConfig, engineEnds, fillStream } from './bench-stream.js';
import { int, modelCostPerRow, printModelTable, printTable, type ModelCost } from './timing.js';

const EVENTS = Number(process.argv[2] ?? 50_000);
const CUSTOMERS = Number(process.argv[3] ?? 10_000);
const MAX_BATCHES = (process.argv[4] ?? '2048,128,1').split(',').map(Number);
const STREAM = 'BENCH';
const PREFIX = 'bench';
// The model alone: rows (batch 1 is timed on the first MODEL_CALLS of them), and repetitions (median).
const MODEL_ROWS = 16 * 2048;
const MODEL_CALLS = 2000;
const MODEL_REPS = 5;

interface Shared {
  readonly model: ChurnModel;
  readonly rules: SegmentRuleSet;
}

interface Run {
  readonly maxBatch: number;
  readonly eventsPerSec: number;
  /** This process's CPU time per event (user + system): steadier than events/s on a busy machine. */
  readonly cpuUs: number;
  readonly rowsPerCall: number;
  readonly scoreUpdates: number;
}

/**
 * `rows` feature rows at the store's watermark, going round its live customers (as many times as it takes): what the
 * model alone is timed on, the same rows for every batch size.
 */
function featureRows(store: CustomerStore, rows: number): Float32Array {
  const live = Array.from({ length: store.slotEnd }, (_, slot) => slot).filter((slot) => store.isLive(slot));
  const m = new Float32Array(rows * FEATURE_COUNT);
  for (let r = 0; r < rows; r++)
    store.features(live[r % live.length]!, store.watermarkMs, m, r * FEATURE_COUNT);
  return m;
}

/** Mean rows per model call, from the engine's own histogram of micro-batch sizes. */
async function meanBatch(metrics: EngineMetrics): Promise<number> {
  const { values } = await metrics.scoreBatchSize.get();
  const sum = values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  return count > 0 ? sum / count : Number.NaN;
}

/**
 * A fresh engine with `maxBatch` over the whole stream, timed from its start until it applied every message, released
 * the updates it held through the backlog, and drained; with the features of the customers it ended with.
 */
async function engineRun(nc: NatsConnection, url: string, total: number, maxBatch: number, deps: Shared) {
  const config = benchEngineConfig(url, STREAM, PREFIX, { 'score.maxBatch': maxBatch });
  const log = pino({ level: 'silent' });
  const metrics = createEngineMetrics(new Registry());
  const ends = {
    stream: STREAM,
    prefix: PREFIX,
    consumer: `engine-${maxBatch}`,
    outPrefix: `out${maxBatch}`,
  };
  const { source, sink } = await engineEnds(nc, { ...ends, config, log, metrics });
  global.gc?.();
  const [t0, cpu0] = [performance.now(), process.cpuUsage()];
  const engine = startEngine({ config, log, metrics, source, sink, model: deps.model, segments: deps.rules });
  const sleep = () => new Promise((r) => setTimeout(r, 5));
  while (engine.totals.events + engine.totals.deadLetters < total) await sleep();
  while (((await metrics.heldUpdates.get()).values[0]?.value ?? 0) > 0) await sleep();
  await engine.stop();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const run: Run = {
    maxBatch,
    eventsPerSec: total / seconds,
    cpuUs: (cpu.user + cpu.system) / total,
    rowsPerCall: await meanBatch(metrics),
    scoreUpdates: engine.totals.scoreUpdates,
  };
  return { run, features: featureRows(engine.store, MODEL_ROWS) };
}

/** Prints the runs (each against per-event scoring, maxBatch 1, when it ran) and the model alone. */
function report(runs: readonly Run[], modelCost: Record<number, ModelCost>): void {
  const perEvent = runs.find((r) => r.maxBatch === 1) ?? { eventsPerSec: NaN, cpuUs: NaN };
  // Faster is more events/s and fewer CPU µs per event: both ratios read "times per-event scoring".
  const times = (r: Run) =>
    `${(r.eventsPerSec / perEvent.eventsPerSec).toFixed(1)} (${(perEvent.cpuUs / r.cpuUs).toFixed(1)})`;
  printTable(
    [
      'score.maxBatch',
      'events/s',
      'CPU µs/event',
      'rows per model call',
      'score updates',
      '× maxBatch 1 (CPU)',
    ],
    runs.map((r) => [
      String(r.maxBatch),
      int(r.eventsPerSec),
      r.cpuUs.toFixed(1),
      r.rowsPerCall.toFixed(1),
      int(r.scoreUpdates),
      times(r),
    ]),
  );
  console.log('');
  printModelTable(modelCost, 2048);
}

async function main(): Promise<void> {
  const backend = await selectBackend(pino({ level: 'silent' }));
  const shared: Shared = {
    model: await loadChurnModel('models/churn-default/3'),
    rules: await loadSegmentRules('config/segments.json'),
  };
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    await (await jetstreamManager(nc)).streams.add({ name: STREAM, subjects: [`${PREFIX}.>`] });
    const fill = { stream: STREAM, prefix: PREFIX, customers: CUSTOMERS, max: EVENTS, seed: 7 };
    const total = await fillStream(nc, fill);
    console.log(`stream: ${total} events of ${CUSTOMERS} customers; TF.js ${backend}; one run per setting\n`);
    const runs: Run[] = [];
    let features: Float32Array = new Float32Array(0);
    for (const maxBatch of MAX_BATCHES) {
      const done = await engineRun(nc, server.url, total, maxBatch, shared);
      runs.push(done.run);
      features = done.features;
    }
    const modelCost: Record<number, ModelCost> = {};
    for (const b of [1, 2048])
      modelCost[b] = await modelCostPerRow(shared.model, features, b, MODEL_CALLS, MODEL_REPS);
    report(runs, modelCost);
    const byBatch = (f: (r: Run) => number) => Object.fromEntries(runs.map((r) => [r.maxBatch, f(r)]));
    const perEvent = runs.find((r) => r.maxBatch === 1)?.eventsPerSec;
    const [alone1, alone2048] = [modelCost[1]!, modelCost[2048]!];
    console.log(
      JSON.stringify({
        bench: 'micro-batching',
        events: total,
        customers: CUSTOMERS,
        backend,
        eventsPerSec: byBatch((r) => Math.round(r.eventsPerSec)),
        cpuUsPerEvent: byBatch((r) => Number(r.cpuUs.toFixed(1))),
        ratioToPerEvent: byBatch((r) => Number((r.eventsPerSec / (perEvent ?? Number.NaN)).toFixed(2))),
        rowsPerModelCall: byBatch((r) => Number(r.rowsPerCall.toFixed(1))),
        scoreUpdates: byBatch((r) => r.scoreUpdates),
        modelAloneNsPerRow: { 1: Math.round(alone1.ns), 2048: Math.round(alone2048.ns) },
        modelAloneCpuNsPerRow: { 1: Math.round(alone1.cpuNs), 2048: Math.round(alone2048.cpuNs) },
        modelAloneRatio: Number((alone1.ns / alone2048.ns).toFixed(1)),
      }),
    );
  } finally {
    shared.model.dispose();
    await nc.close();
    await server.stop();
  }
}

await main();
