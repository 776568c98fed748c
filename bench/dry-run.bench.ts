/**
 * Dry runs against ingestion: event throughput of the engine (JetStream in → decode → features → scores → NATS
 * out) while a worst-case dry run runs back to back, against the same engine without one, measured in the same
 * run. The worst case is the most expensive rule the rule limits admit, picked by timing candidates at the limits
 * first; the stream starts with one event per roster customer, so every dry run scans a full store. Target
 * (issue 8): ratio >= 0.5. Runs alternate (without, with, without, with), each a fresh engine with its own
 * durable consumer over the same stored events; the ratio compares the means.
 *
 * Command:  npm run build && node dist/bench/dry-run.bench.js [events=300000] [customers=30000] [sliceMs=5]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   the rule and its cost, events/s per run, dry runs completed, the ratio; also as JSON last.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startEngine } from '../src/engine/index.js';
import { createEngineMetrics } from '../src/metrics/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { loadChurnModel, selectBackend, type ChurnModel } from '../src/score/index.js';
import { compileDryRunRule, createActivation, RULE_LIMITS } from '../src/segment/index.js';
import { compileExpression } from '../src/segment/compile-expression.js';
import { createRuleEnvironment } from '../src/segment/rule-environment.js';
import { DAY_MS } from '../src/simulate/index.js';
import { benchEngineConfig, engineEnds, fillStream } from './bench-stream.js';

const EVENTS = Number(process.argv[2] ?? 300_000);
const CUSTOMERS = Number(process.argv[3] ?? 30_000);
/** segments.dryRunSliceMs; default: the configured default (5 ms). */
const SLICE_MS = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const STREAM = 'DRYBENCH';
const PREFIX = 'drybench';

const ints = (n: number): string => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
/** Shapes that come closest to the cost limit, each grown until the limits refuse it. */
const CANDIDATES: Record<string, (k: number) => string> = {
  'map literal comprehension': (k) =>
    `{${Array.from({ length: k }, (_, i) => `"k${i}": ${i}`).join(',')}}.all(x, x != "z")`,
  'nested all': (k) => `${ints(k)}.all(x, ${ints(k)}.all(y, x + y >= churnRisk))`,
  'nested exists': (k) => `${ints(k)}.exists(x, ${ints(k)}.exists(y, x == y + 1000))`,
  exists_one: (k) => `${ints(k)}.exists_one(x, x == 1000)`,
  'filter in all': (k) => `${ints(k)}.all(x, ${ints(k)}.filter(y, y > x).size() >= 0)`,
  'doubling bind': (k) => `cel.bind(a, ${ints(k)}, cel.bind(b, a + a, cel.bind(c, b + b, c.all(x, x >= 0))))`,
  'regex on a long literal': (k) => `"${'a'.repeat(k)}!".matches("^(a+)+$")`,
};

/** The slowest rule per evaluation among the candidates grown to the limits: its source, cost and µs/eval. */
function worstRule(): { name: string; rule: string; cost: number; micros: number } {
  const env = createRuleEnvironment();
  let worst = { name: '', rule: 'true', cost: 0, micros: 0 };
  for (const [name, make] of Object.entries(CANDIDATES)) {
    let k = 1;
    while (compileExpression(env, make(k + 1)).ok && k < 10_000) k++;
    const rule = make(k);
    const compiled = compileExpression(env, rule);
    if (!compiled.ok) continue;
    const { test } = compileDryRunRule(rule);
    const act = createActivation();
    // The fastest of five rounds: the machine may be busy, and a rule is as slow as it is when it is not.
    let micros = Infinity;
    for (let round = 0; round < 6; round++) {
      const t0 = performance.now();
      for (let i = 0; i < 300; i++) test(act);
      if (round > 0) micros = Math.min(micros, ((performance.now() - t0) * 1000) / 300);
    }
    if (micros > worst.micros) worst = { name, rule, cost: compiled.cost, micros };
  }
  return worst;
}

/**
 * Fills the stream: first one page view for each of `CUSTOMERS` roster customers, so a dry run scans every one of
 * them from the first tenth of the stream on (the worst case: a full store all along), then the simulator's
 * history of as many shoppers; `EVENTS` in all.
 */
async function fillRoster(nc: NatsConnection): Promise<number> {
  const start = Date.now() - 120 * DAY_MS;
  const roster = Array.from({ length: CUSTOMERS }, (_, i) => ({
    customerId: `roster-${i}`,
    type: 'page_view',
    ts: start + i,
  }));
  return fillStream(nc, {
    stream: STREAM,
    prefix: PREFIX,
    customers: CUSTOMERS,
    max: EVENTS,
    seed: 11,
    first: roster,
  });
}

/** One fresh engine over the whole stream (its own consumer); with `rule`, dry runs back to back meanwhile. */
async function engineRun(
  nc: NatsConnection,
  url: string,
  model: ChurnModel,
  total: number,
  run: string,
  rule?: string,
) {
  const config = benchEngineConfig(
    url,
    STREAM,
    PREFIX,
    SLICE_MS === undefined ? {} : { 'segments.dryRunSliceMs': SLICE_MS },
  );
  const log = pino({ level: 'silent' });
  const metrics = createEngineMetrics(new Registry());
  const { source, sink } = await engineEnds(nc, {
    stream: STREAM,
    prefix: PREFIX,
    consumer: `engine-${run}`,
    outPrefix: `out${run}`,
    config,
    log,
    metrics,
  });
  const t0 = performance.now();
  // How late a 10 ms timer fires: what /healthz and the idle ticker would wait for the event loop.
  let lateMs = 0;
  let due = t0 + 10;
  const probe = setInterval(() => {
    lateMs = Math.max(lateMs, performance.now() - due);
    due = performance.now() + 10;
  }, 10);
  const engine = startEngine({ config, log, metrics, source, sink, model });
  let dryRuns = 0;
  let evaluated = 0;
  let stopping = false;
  const loop = (async () => {
    while (rule !== undefined && !stopping) {
      try {
        const res = await engine.dryRun(rule, 10);
        dryRuns++;
        evaluated += res.evaluated;
      } catch (err) {
        // The one running when the engine stops is cancelled: count how far it got.
        if ((err as { code?: string }).code !== 'DRY_RUN_CANCELLED') throw err;
        evaluated += (err as { evaluated?: number }).evaluated ?? 0;
      }
      // An empty store answers at once: give the pipeline the loop before asking again.
      if (engine.store.size === 0) await new Promise((r) => setTimeout(r, 1));
    }
  })();
  while (engine.totals.events + engine.totals.deadLetters < total) await new Promise((r) => setTimeout(r, 5));
  stopping = true;
  clearInterval(probe);
  await engine.stop();
  await loop;
  const seconds = (performance.now() - t0) / 1000;
  return { eventsPerSec: total / seconds, dryRuns, evaluated, seconds, lateMs };
}

async function main(): Promise<void> {
  const worst = worstRule();
  console.log(
    `worst-case rule: ${worst.name}, estimated cost ${worst.cost} of ${RULE_LIMITS.maxCost}, ` +
      `${worst.micros.toFixed(1)} µs per customer (${Buffer.byteLength(worst.rule)} bytes)`,
  );
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  const log = pino({ level: 'silent' });
  await selectBackend(log);
  const model = await loadChurnModel('models/churn-default/2');
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: [`${PREFIX}.>`] });
    const total = await fillRoster(nc);
    console.log(`stream filled: ${total} events (${CUSTOMERS} roster customers, then simulated shoppers)`);
    const rows = [];
    for (const [i, withDryRun] of [false, true, false, true].entries()) {
      const r = await engineRun(nc, server.url, model, total, String(i), withDryRun ? worst.rule : undefined);
      // Share of the run's wall time the dry runs spent evaluating (customers x the rule's time per customer).
      const share = (r.evaluated * worst.micros) / 1e6 / r.seconds;
      rows.push({ run: `${i + 1}`, dryRun: withDryRun, share, ...r });
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const base = mean(rows.filter((r) => !r.dryRun).map((r) => r.eventsPerSec));
    const during = mean(rows.filter((r) => r.dryRun).map((r) => r.eventsPerSec));
    const ratio = during / base;
    console.log(
      'run | dry run | events/s | dry runs done | customers evaluated | time evaluating | timer late',
    );
    console.log(
      '----|---------|----------|---------------|---------------------|-----------------|-----------',
    );
    for (const r of rows) {
      console.log(
        `${r.run.padEnd(3)} | ${(r.dryRun ? 'yes' : 'no').padEnd(7)} | ${Math.round(r.eventsPerSec).toLocaleString('en').padStart(8)} | ` +
          `${String(r.dryRuns).padStart(13)} | ${r.evaluated.toLocaleString('en').padStart(19)} | ` +
          `${(r.share * 100).toFixed(1).padStart(14)} % | ${r.lateMs.toFixed(0).padStart(6)} ms`,
      );
    }
    console.log(
      `ratio with / without dry run: ${ratio.toFixed(2)} (target >= 0.5; dry-run slices of ${SLICE_MS ?? 5} ms)`,
    );
    console.log(
      JSON.stringify({
        bench: 'dry-run',
        events: total,
        customers: CUSTOMERS,
        rule: worst.name,
        ruleCost: worst.cost,
        ruleMicrosPerCustomer: Number(worst.micros.toFixed(1)),
        baseEventsPerSec: Math.round(base),
        duringDryRunEventsPerSec: Math.round(during),
        ratio: Number(ratio.toFixed(3)),
        sliceMs: SLICE_MS ?? 5,
        dryRuns: rows.reduce((a, r) => a + r.dryRuns, 0),
        dryRunShare: Number(mean(rows.filter((r) => r.dryRun).map((r) => r.share)).toFixed(3)),
      }),
    );
  } finally {
    model.dispose();
    await nc.close();
    await server.stop();
  }
}

await main();
