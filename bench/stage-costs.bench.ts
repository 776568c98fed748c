/**
 * Stage costs: each stage's cost per event, timed step by step on the real components in process over the same
 * simulated events, a pull batch at a time as in the engine (garbage dies as young as there), rows in full
 * micro-batches of score.maxBatch (as under load); several runs on fresh state, median. Row stages run on every row
 * the planner made (events and timers); updates go to a real nats-server (no subscriber), as when caught up (none
 * held). Also the model alone per row at batch sizes 1 to 2048. Not here: JetStream pull and ack
 * (end-to-end.bench.ts's bare consumer), rxjs between stages (micro-batching.bench.ts runs the whole engine).
 *
 * Command:  npm run build && node --expose-gc dist/bench/stage-costs.bench.js [events=200000] [customers=20000]
 *           [reps=5]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model models/churn-default/3.
 * Prints:   a table (stage, ns/event in wall and in CPU time, events/s if this stage alone, share of the total), the
 *           model alone per row at each batch size, then one JSON line.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { decodeBatch, decodePayload, Problem, validateEvent } from '../src/decode/index.js';
import type { DecodedEvent } from '../src/decode/index.js';
import { createCustomerLifecycle } from '../src/engine/customer-lifecycle.js';
import { createEvaluationPlanner } from '../src/engine/evaluation-planner.js';
import { EVICT, RowBuffer, type RowBatch } from '../src/engine/evaluation-rows.js';
import { encodeEvents, type InboundMessage } from '../src/ingest/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { changedScoreUpdates, createScoreChanges, natsSink, type OutputSink } from '../src/publish/index.js';
import { encodeScoreUpdate } from '../src/publish/nats-sink.js';
import * as score from '../src/score/index.js';
import { loadSegmentRules } from '../src/segment/index.js';
import { createSimulator } from '../src/simulate/index.js';
import { createCustomerStore, DAY_MS, DUPLICATE, FEATURE_COUNT, REJECTED } from '../src/state/index.js';
import type { CustomerStore } from '../src/state/index.js';
import type { ScoreUpdate } from '../src/contract/score-update.js';
import { medianLaps, modelCostPerRow, perEvent, printModelTable, printStageTable } from './timing.js';
import { int, rounded, Stopwatch } from './timing.js';
import type { Laps, ModelCost, StageCost } from './timing.js';

const EVENTS = Number(process.argv[2] ?? 200_000);
const CUSTOMERS = Number(process.argv[3] ?? 20_000);
const REPS = Number(process.argv[4] ?? 5);
const BATCH_SIZES = [1, 16, 128, 512, 2048];
// Model calls timed per batch size: small ones run on a prefix of the rows (batch 1 on all would take minutes).
const MODEL_CALLS = 3000;
const config = loadConfig({ env: {}, overrides: { 'log.level': 'silent' } });
const { maxBatch, bgnbdHorizonDays: horizonDays, clvAnnualDiscountRate: annualDiscountRate } = config.score;
const HORIZON = { horizonDays, annualDiscountRate };
const rules = await loadSegmentRules('config/segments.json');

/** The simulator's history as the engine receives it: MessagePack payloads on event subjects, stored "now". */
function simulatedMessages(): InboundMessage[] {
  const now = Date.now();
  const sim = createSimulator({ customers: CUSTOMERS, seed: 7, startMs: now - 120 * DAY_MS });
  const out: InboundMessage[] = [];
  for (const batch of sim.batchesBetween(sim.startMs, now)) {
    for (const { subject, data } of encodeEvents(batch, config.ingest.subjectPrefix)) {
      if (out.length === EVENTS) return out;
      out.push({ subject, data, contentType: undefined, streamSeq: out.length + 1, publishedAtMs: now });
    }
  }
  return out;
}

/** validateEvent on decoded payloads, making the object decodeBatch makes per valid event. */
function validated(messages: readonly InboundMessage[], payloads: readonly unknown[]): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  for (let i = 0; i < messages.length; i++) {
    const { subject, data, streamSeq, publishedAtMs, contentType } = messages[i]!;
    const event = validateEvent(payloads[i], subject, config.ingest, publishedAtMs);
    if (!(event instanceof Problem))
      events.push({ event, subject, data, streamSeq, publishedAtMs, contentType });
  }
  return events;
}

/** A customer store with the engine's evaluation planner and row queue. */
function createState() {
  const store = createCustomerStore({ horizonDays: config.state.horizonDays });
  const rows = new RowBuffer();
  const { rescoreIntervalMs, retentionDays } = config.state;
  const onEvict = (slot: number) => store.remove(store.customerId(slot), true);
  const retentionMs = retentionDays * DAY_MS;
  const planner = createEvaluationPlanner({ store, rows, rules, rescoreIntervalMs, retentionMs, onEvict });
  return { store, rows, planner };
}
type State = ReturnType<typeof createState>;

/** Applies events in order as the apply stage does; with `plan`, the planner fires timers and makes rows too. */
function applyEvents({ store, planner }: State, events: readonly DecodedEvent[], plan: boolean): void {
  for (const d of events) {
    const verdict = store.check(d);
    if (verdict === DUPLICATE || verdict === REJECTED) continue;
    // One predictable branch per event: a few ns beside the hundreds the planner costs.
    if (plan) planner.advance(Math.floor(d.event.ts));
    const slot = store.applyOne(d, verdict);
    if (plan) planner.onEvent(slot, d.publishedAtMs);
  }
}

/** The batch's features again, on the state now, at each row's own time (the cost does not depend on the values). */
function featuresAgain(store: CustomerStore, b: RowBatch): void {
  const out = new Float32Array(FEATURE_COUNT);
  for (let i = 0; i < b.slots.length; i++) {
    if (b.kind[i] !== EVICT) store.features(b.slots[i]!, b.atMs[i]!, out, 0);
  }
}

/** What the scorer computes per row beside the model: engagement and lifecycle stage. */
function engagementAndStage(b: RowBatch, churnRisk: Float32Array) {
  const engagement = new Uint8Array(b.slots.length);
  const stage = new Uint8Array(b.slots.length);
  for (let i = 0; i < b.slots.length; i++) {
    engagement[i] = score.engagementScore(b.features, i * FEATURE_COUNT);
    stage[i] = score.lifecycleStageIndex(b.features, i * FEATURE_COUNT, churnRisk[i]!);
  }
  return { engagement, stage };
}

/** The reasons of the changed rows, gathered into one explain call as the scorer does, set on their updates. */
async function explainInto(model: score.LoadedChurnModel, m: Float32Array, rows: number[], u: ScoreUpdate[]) {
  const sub = new Float32Array(rows.length * FEATURE_COUNT);
  rows.forEach((r, j) => sub.set(m.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), j * FEATURE_COUNT));
  const reasons = await model.explain(sub, rows.length, config.score.reasons);
  u.forEach((update, j) => (update.reasons = reasons[j] ?? []));
}

/** The score stage's state over `store`: last published scores, segment memberships and stage transitions. */
function createScoring(store: CustomerStore, model: score.LoadedChurnModel) {
  const published = createScoreChanges(config.publish, Date.now() * 1000);
  const lifecycle = createCustomerLifecycle(rules, store, published);
  const ref = Object.freeze({ name: model.name, version: model.version });
  return { published, lifecycle, model, ref, idOf: (slot: number) => store.customerId(slot) };
}

/** One micro-batch through the score stage, each step on its own clock. */
async function scoreBatch(sc: ReturnType<typeof createScoring>, b: RowBatch, sw: Stopwatch) {
  const { model, lifecycle, idOf } = sc;
  const n = b.slots.length;
  const churnRisk = await sw.timeAsync('model', () => model.predict(b.features, n));
  const columns = sw.time('engagementStage', () => engagementAndStage(b, churnRisk));
  const baseline = sw.time('bgnbd', () => score.bgnbdColumns(model, b.features, n, HORIZON));
  const names = { modelName: model.name, modelVersion: model.version };
  const s = { slots: b.slots, churnRisk, features: b.features, ...columns, ...names, ...baseline };
  const events = sw.time('segments', () => lifecycle.onScored(s, b, idOf));
  const masks = events.masks;
  const segments = (_: number, r: number) => ({ mask: masks[r]!, names: lifecycle.namesOf(masks[r]!) });
  const ctx = { customerId: idOf, model: sc.ref, eventTime: b.atMs, segments };
  const { updates, positions } = sw.time('build', () => changedScoreUpdates(s, sc.published, ctx));
  await sw.timeAsync('reasons', () => explainInto(model, b.features, positions, updates));
  sw.time('encode', () => updates.forEach((u) => encodeScoreUpdate(u, 'msgpack')));
  return { updates, events };
}

/** What every run reads and writes. */
interface Io {
  readonly messages: readonly InboundMessage[];
  readonly model: score.LoadedChurnModel;
  readonly sink: OutputSink;
}

/**
 * One repetition on fresh state: pull batch by pull batch, decode and validate apart and decodeBatch as the engine
 * calls it (a cross-check), apply on a store alone and on the engine's state (store + planner); full micro-batches
 * of rows through features, the score stage and the sink. `rows` gets each batch's features (for the model alone).
 */
async function once(io: Io, rows: Float32Array[]) {
  const { messages, model, sink } = io;
  const [sw, alone, state] = [new Stopwatch(), createState(), createState()];
  const scoring = createScoring(state.store, model);
  const counts = { events: 0, rows: 0, updates: 0 };
  const scoreRows = async (b: RowBatch) => {
    sw.time('features', () => featuresAgain(state.store, b));
    const { updates, events } = await scoreBatch(scoring, b, sw);
    // As the score stage publishes (the sink encodes the updates again).
    sw.time('publish', () => {
      sink.publishSegmentChanges(events.segmentChanges);
      sink.publishStageTransitions(events.stageTransitions);
      sink.publishScores(updates);
    });
    // The engine gives the event loop a turn per batch: the client writes to the socket then.
    await sw.timeAsync('publish', () => new Promise((resolve) => setImmediate(resolve)));
    [counts.rows, counts.updates] = [counts.rows + b.slots.length, counts.updates + updates.length];
    rows.push(b.features);
  };
  for (let i = 0; i < messages.length; i += config.nats.pullBatch) {
    const pull = messages.slice(i, i + config.nats.pullBatch);
    const payloads = sw.time('decode', () => pull.map((m) => decodePayload(m.data, 'msgpack')));
    const events = sw.time('validate', () => validated(pull, payloads));
    sw.time('decodeBatch', () => decodeBatch({ messages: pull, ack: () => undefined }, config.ingest));
    sw.time('apply', () => applyEvents(alone, events, false));
    sw.time('applyStage', () => applyEvents(state, events, true));
    counts.events += events.length;
    // Full micro-batches, as the micro-batcher takes them under load.
    while (state.rows.length >= maxBatch) await scoreRows(state.rows.take(maxBatch));
  }
  while (state.rows.length > 0) await scoreRows(state.rows.take(maxBatch));
  await sw.timeAsync('publish', () => sink.flush());
  return { laps: sw.laps, counts };
}

/** Every stage, REPS times (median); with the counts and the row features of the last repetition. */
async function measure(io: Io) {
  const rows: Float32Array[] = [];
  let counts = { events: 0, rows: 0, updates: 0 };
  const laps = await medianLaps(REPS, async () => {
    rows.length = 0;
    const run = await once(io, rows);
    counts = run.counts;
    return run.laps;
  });
  const matrix = new Float32Array(counts.rows * FEATURE_COUNT);
  rows.reduce((at, f) => (matrix.set(f, at), at + f.length), 0);
  return { laps, ...counts, matrix };
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** The table's stages, disjoint, in flow order; wall and CPU ns per event. */
function stageCosts(l: Laps, events: number): StageCost[] {
  const stage = perEvent(l, events);
  return [
    stage('decode', 'decode (MessagePack → objects)', 'decode'),
    stage('validate', 'validate (schema, subject, ranges)', 'validate'),
    stage('apply', 'apply (store.check + applyOne)', 'apply'),
    stage('plan', 'plan: timers, rows (by difference)', 'applyStage', ['apply', 'features']),
    stage('features', 'features (store.features per row)', 'features'),
    stage('model', `model (TF.js), batches of ${maxBatch}`, 'model'),
    stage('engagementStage', 'engagement + stage', 'engagementStage'),
    stage('bgnbd', 'BG/NBD + CLV columns', 'bgnbd'),
    stage('segments', 'segments + stage transitions', 'segments'),
    stage('build', 'score updates: build (changed only)', 'build'),
    stage('reasons', 'reasons (model.explain, changed rows)', 'reasons'),
    stage('encode', 'score updates: encode (MessagePack)', 'encode'),
    stage('publish', 'publish: subjects, nc.publish, flush', 'publish', ['encode']),
  ];
}

/** The stage table, the model alone per batch size, and the JSON line. */
function report(run: Measured, modelCost: Record<number, ModelCost>, backend: string): void {
  const { events, rows, updates } = run;
  const intro = [
    `${events} events of ${CUSTOMERS} customers (${EVENTS - events} refused or missing), TF.js ${backend}`,
    `${rows} rows (${(rows / events).toFixed(2)} per event: events and timers), ${updates} score updates`,
    `median of ${REPS} runs; CPU: this process's user + system time\n`,
  ];
  console.log(intro.join('\n'));
  const stages = stageCosts(run.laps, events);
  const total = printStageTable(stages);
  const decodeBatchNs = (run.laps.decodeBatch! * 1e6) / events;
  console.log(`cross-check: decodeBatch (decode + validate in one call): ${int(decodeBatchNs)} ns/event\n`);
  printModelTable(modelCost, maxBatch);
  const byStage = (f: (s: StageCost) => number) =>
    rounded(Object.fromEntries(stages.map((s) => [s.key, f(s)])));
  const byBatch = (f: (c: ModelCost) => number) =>
    rounded(Object.fromEntries(Object.entries(modelCost).map(([b, c]) => [b, f(c)])));
  console.log(
    JSON.stringify({
      bench: 'stage-costs',
      events,
      customers: CUSTOMERS,
      backend,
      rowsPerEvent: Number((rows / events).toFixed(3)),
      updatesPerEvent: Number((updates / events).toFixed(3)),
      nsPerEvent: byStage((s) => s.ns),
      cpuNsPerEvent: byStage((s) => s.cpuNs),
      totalNsPerEvent: Math.round(total.ns),
      totalCpuNsPerEvent: Math.round(total.cpuNs),
      eventsPerSec: Math.round(1e9 / total.ns),
      modelNsPerRow: byBatch((c) => c.ns),
      modelCpuNsPerRow: byBatch((c) => c.cpuNs),
    }),
  );
}

async function main(): Promise<void> {
  const backend = await score.selectBackend(pino({ level: 'silent' }));
  const model = await score.loadChurnModel('models/churn-default/3');
  const messages = simulatedMessages();
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const sink = natsSink({ nc, js: jetstream(nc), prefix: config.publish.prefix, encoding: 'msgpack' });
    const run = await measure({ messages, model, sink });
    const modelCost: Record<number, ModelCost> = {};
    for (const b of BATCH_SIZES)
      modelCost[b] = await modelCostPerRow(model, run.matrix, b, MODEL_CALLS, REPS);
    report(run, modelCost, backend);
  } finally {
    model.dispose();
    await nc.close();
    await server.stop();
  }
}

await main();
