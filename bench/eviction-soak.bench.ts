/**
 * bench/eviction-soak.bench.ts — bounded state under a churning population: memory stays flat with eviction.
 *
 * What it measures: the real engine in process (decode → customer state → timers → model → segments → score
 * updates; the shipped model and segment pack, shipped configuration otherwise; a sink that counts and discards)
 * over a churning population in event time (bench/churning-population.ts): `live` customers active at any moment,
 * each active for 2 x retentionDays (a visit every 0.05 to 0.95 x retentionDays, so never silent long enough to be
 * evicted while active) and then silent for good, replaced by customers with fresh ids, `turnover` times over.
 * Twice over the same stream in the same process:
 *   - with eviction: `state.retentionDays` R (default 1), so a customer leaves the state R days after its last event;
 *   - control: `state.retentionDays` 0 (the documented "never"), everything else the same.
 * Event time is compressed (default: 2-day lives, 1 day of retention) so that the shipped daily re-scoring
 * (`state.rescoreIntervalMs`) stays on without dominating the run: its rows grow with held customers x days, and
 * without eviction quadratically. What memory depends on is how many times the population turns over, not how long
 * a turn lasts in days.
 * At every half lifetime of event time the stream pauses until the engine has scored everything read, and it
 * samples: customers held (store size) against those that had an event in the last R days (what an engine that
 * evicts on time holds) and those active, slots handed out and column bytes (capacity), customers evicted (the
 * churnflow_customers_evicted_total counter, checked against the `evicted: true` updates the sink saw), and, after a
 * full GC, process RSS, heapUsed and external (which includes arrayBuffers, shown apart). Growth is the last sample
 * against the first one after warm-up (two lifetimes: the held count is steady from 1.5 lifetimes on).
 * Fails (exit 1) when, with eviction, held customers exceed 1.2x those it must hold at any sample, held + evicted
 * differs from the customers seen or the counter from the evicted updates, held or slots grow by more than 1.2x after
 * warm-up, or memory after warm-up grows by more than 10 % (heapUsed + external) or 25 % (RSS, which also carries
 * allocator slack and is noisier).
 * Command:       npm run build && node --expose-gc dist/bench/eviction-soak.bench.js [live=10000] [turnover=10] [retentionDays=1]
 * Prerequisites: Node 20+, `npm ci`, the shipped model in models/; no NATS. At the defaults about 90 s of CPU and
 *                350 MB (the control run holds every customer ever seen); 50000 10: about 7 min of CPU, 850 MB.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/index.js';
import type { ScoreUpdate } from '../src/contract/score-update.js';
import { startEngine, type Engine } from '../src/engine/index.js';
import { encodeEvents, type InboundBatch } from '../src/ingest/index.js';
import { createEngineMetrics } from '../src/metrics/index.js';
import type { OutputSink } from '../src/publish/index.js';
import { createFlowGate, fromIterableGated } from '../src/rx/index.js';
import { loadChurnModel, selectBackend, type ChurnModel } from '../src/score/index.js';
import { loadSegmentRules, type SegmentRuleSet } from '../src/segment/index.js';
import { DAY_MS } from '../src/state/index.js';
import { createChurningPopulation } from './churning-population.js';

const LIVE = Number(process.argv[2] ?? 10_000);
const TURNOVER = Number(process.argv[3] ?? 10);
const RETENTION_DAYS = Number(process.argv[4] ?? 1);
/** The documented off switch: never evicted. */
const CONTROL_RETENTION_DAYS = 0;
const LIFETIME_DAYS = 2 * RETENTION_DAYS;
const MEAN_GAP_DAYS = RETENTION_DAYS / 2;
const SAMPLE_EVERY_DAYS = LIFETIME_DAYS / 2;
/** First sample counted as steady: two lifetimes (held = active + those that left within R days, from 1.5 on). */
const WARM_UP_DAYS = 2 * LIFETIME_DAYS;
const START_MS = Date.UTC(2024, 0, 1);
/** Tolerances, with eviction, of growth after warm-up (last sample / warm-up sample). */
const HELD_TOLERANCE = 1.2;
const JS_MEMORY_TOLERANCE = 1.1;
const RSS_TOLERANCE = 1.25;
const MB = 1024 * 1024;

/** One sample, taken with the engine caught up on everything read. */
interface Sample {
  readonly day: number;
  readonly events: number;
  readonly active: number;
  /** Customers with an event in the last retentionDays: what an engine evicting on time holds. */
  readonly mustHold: number;
  readonly held: number;
  readonly slots: number;
  readonly columnBytes: number;
  /** Slots the last-published-scores columns cover. */
  readonly publishedCapacity: number;
  readonly evicted: number;
  readonly evictedUpdates: number;
  readonly arrived: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** A sink that counts what the engine publishes and keeps nothing. */
function countingSink(): OutputSink & { readonly counts: { updates: number; evicted: number } } {
  const counts = { updates: 0, evicted: 0 };
  return {
    counts,
    publishScores: (updates: readonly ScoreUpdate[]) => {
      counts.updates += updates.length;
      for (const u of updates) if (u.evicted === true) counts.evicted++;
    },
    publishSegmentChanges: () => undefined,
    publishStageTransitions: () => undefined,
    deadLetter: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error('run with node --expose-gc (see the comment at the top of this file)');
  gc();
  gc();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until every message sent is applied, no row waits, and the last batch has been published. */
async function settle(engine: Engine, sent: number): Promise<void> {
  let last = -1;
  for (let stable = 0; stable < 3;) {
    await sleep(5);
    const t = engine.totals;
    const caughtUp = t.events + t.deadLetters + t.duplicates >= sent && engine.backlog === 0;
    stable = caughtUp && t.scoreUpdates === last ? stable + 1 : 0;
    last = t.scoreUpdates;
  }
}

/** One engine over the whole churning stream with the given retention; the samples taken along the way. */
async function soak(model: ChurnModel, rules: SegmentRuleSet, retentionDays: number): Promise<Sample[]> {
  const config = loadConfig({
    env: {},
    overrides: {
      'state.retentionDays': retentionDays,
      'log.level': 'silent',
    },
  });
  const metrics = createEngineMetrics(new Registry());
  const sink = countingSink();
  const flow = createFlowGate({ highWater: 8 * config.score.maxBatch, lowWater: config.score.maxBatch });
  const population = createChurningPopulation({
    live: LIVE,
    turnover: TURNOVER,
    lifetimeDays: LIFETIME_DAYS,
    meanGapDays: MEAN_GAP_DAYS,
    startMs: START_MS,
    seed: 7,
  });
  const samples: Sample[] = [];
  const holder: { engine?: Engine } = {};
  let sent = 0;

  const sample = async (day: number): Promise<void> => {
    const engine = holder.engine as Engine;
    await settle(engine, sent);
    const evicted = (await metrics.evicted.get()).values[0]?.value ?? 0;
    gcNow();
    const m = process.memoryUsage();
    samples.push({
      day,
      events: engine.totals.events,
      active: population.activeAt(engine.clockMs),
      mustHold: population.heardFromAfter(engine.clockMs - RETENTION_DAYS * DAY_MS),
      held: engine.store.size,
      slots: engine.store.slotEnd,
      columnBytes: engine.store.columnBytes,
      publishedCapacity: engine.published.capacity,
      evicted,
      evictedUpdates: sink.counts.evicted,
      arrived: population.arrived,
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    });
    // Progress on stderr (stdout carries the results): a large run takes minutes per run.
    const s = samples[samples.length - 1] as Sample;
    process.stderr.write(
      `retentionDays ${retentionDays}, day ${day}: ${s.events} events, ${s.held} held, ${s.evicted} evicted, rss ${mb(s.rss)} MB\n`,
    );
  };

  async function* batches(): AsyncGenerator<InboundBatch> {
    const pull = config.nats.pullBatch;
    for (let day = 1; ; day++) {
      const events = population.nextDay();
      if (events === undefined) break;
      for (let i = 0; i < events.length; i += pull) {
        const slice = events.slice(i, i + pull);
        // Stored as the day's events happen: the decoder judges `too_far_in_future` against this, not the wall clock.
        const storedAt = slice[slice.length - 1]!.ts;
        const messages = encodeEvents(slice, config.ingest.subjectPrefix).map((m) => ({
          subject: m.subject,
          data: m.data,
          contentType: undefined,
          streamSeq: ++sent,
          publishedAtMs: storedAt,
        }));
        yield { messages, ack: () => undefined };
      }
      if (day % SAMPLE_EVERY_DAYS === 0) await sample(day);
    }
  }

  const engine = startEngine({
    config,
    log: pino({ level: 'silent' }),
    metrics,
    source: fromIterableGated(batches(), flow),
    sink,
    model,
    segments: rules,
    flow,
  });
  holder.engine = engine;
  await engine.done;
  return samples;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const mb = (n: number) => fmt(n / MB, 1);
const js = (s: Sample) => s.heapUsed + s.external;

function printTable(label: string, samples: readonly Sample[]): void {
  console.log(`\n${label}`);
  console.log(
    'day | turnover | events     | active | must hold | held    | slots   | columns MB | evicted | rss MB | heapUsed MB | external MB (arrayBuffers)',
  );
  console.log(
    '----|----------|------------|--------|-----------|---------|---------|------------|---------|--------|-------------|---------------------------',
  );
  for (const s of samples) {
    const row = [
      String(s.day).padStart(3),
      fmt(s.day / LIFETIME_DAYS, 1).padStart(8),
      fmt(s.events).padStart(10),
      fmt(s.active).padStart(6),
      fmt(s.mustHold).padStart(9),
      fmt(s.held).padStart(7),
      fmt(s.slots).padStart(7),
      mb(s.columnBytes).padStart(10),
      fmt(s.evicted).padStart(7),
      mb(s.rss).padStart(6),
      mb(s.heapUsed).padStart(11),
      `${mb(s.external)} (${mb(s.arrayBuffers)})`.padStart(26),
    ];
    console.log(row.join(' | ') + (s.day === warmUpOf(samples).day ? '  <- warm-up' : ''));
  }
}

const warmUpOf = (samples: readonly Sample[]): Sample =>
  samples.find((s) => s.day >= WARM_UP_DAYS) ?? (samples[0] as Sample);

/** Last sample against the warm-up sample. */
function growth(samples: readonly Sample[]) {
  const w = warmUpOf(samples);
  const l = samples[samples.length - 1] as Sample;
  const r = (a: number, b: number) => Number((a / b).toFixed(3));
  return {
    held: r(l.held, w.held),
    slots: r(l.slots, w.slots),
    publishedCapacity: r(l.publishedCapacity, w.publishedCapacity),
    rss: r(l.rss, w.rss),
    jsMemory: r(js(l), js(w)),
    heapUsed: r(l.heapUsed, w.heapUsed),
    external: r(l.external, w.external),
  };
}

/** What the eviction run must satisfy; each failure as a sentence. */
function failures(samples: readonly Sample[]): string[] {
  const out: string[] = [];
  const g = growth(samples);
  for (const s of samples) {
    if (s.held > HELD_TOLERANCE * s.mustHold)
      out.push(`day ${s.day}: ${s.held} customers held, more than 1.2 x the ${s.mustHold} it must hold`);
    if (s.held + s.evicted !== s.arrived)
      out.push(`day ${s.day}: held ${s.held} + evicted ${s.evicted} != ${s.arrived} customers seen`);
    if (s.evicted !== s.evictedUpdates)
      out.push(
        `day ${s.day}: counter says ${s.evicted} evicted, ${s.evictedUpdates} evicted updates published`,
      );
  }
  if (g.held > HELD_TOLERANCE) out.push(`held customers grew ${g.held}x after warm-up`);
  if (g.slots > HELD_TOLERANCE) out.push(`slots handed out grew ${g.slots}x after warm-up`);
  if (g.jsMemory > JS_MEMORY_TOLERANCE)
    out.push(`heapUsed + external grew ${g.jsMemory}x after warm-up (tolerance ${JS_MEMORY_TOLERANCE})`);
  if (g.rss > RSS_TOLERANCE) out.push(`RSS grew ${g.rss}x after warm-up (tolerance ${RSS_TOLERANCE})`);
  return out;
}

async function main(): Promise<void> {
  if (!(Number.isInteger(LIVE) && LIVE > 0)) throw new Error(`bad live population: ${process.argv[2]}`);
  if (!(Number.isInteger(TURNOVER) && TURNOVER >= 4))
    throw new Error(`turnover must be an integer >= 4 (warm-up takes 2): ${process.argv[3]}`);
  if (!(Number.isInteger(RETENTION_DAYS) && RETENTION_DAYS >= 1))
    throw new Error(`retentionDays must be an integer >= 1: ${process.argv[4]}`);
  gcNow();
  await selectBackend(pino({ level: 'silent' }));
  const model = await loadChurnModel('models/churn-default/2');
  const rules = await loadSegmentRules('config/segments.json');
  console.log(
    `node ${process.version}; ${fmt(LIVE)} active customers, ${TURNOVER}x turnover (${fmt(LIVE * TURNOVER)} ids), ` +
      `${LIFETIME_DAYS}-day lifetimes, ${TURNOVER * LIFETIME_DAYS} days of event time, ${rules.rules.length} segments`,
  );
  try {
    // Label, retention, samples, wall seconds, CPU seconds (the machine may be shared: CPU is the steadier figure).
    const runs: [string, number, Sample[], number, number][] = [];
    for (const [label, days] of [
      ['with eviction', RETENTION_DAYS],
      ['control, eviction off', CONTROL_RETENTION_DAYS],
    ] as const) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const samples = await soak(model, rules, days);
      const cpu = process.cpuUsage(cpu0);
      runs.push([label, days, samples, (performance.now() - t0) / 1000, (cpu.user + cpu.system) / 1e6]);
      gcNow();
    }
    for (const [label, days, samples, seconds, cpuSeconds] of runs) {
      const title = `${label} (state.retentionDays ${days}): ${fmt(seconds, 1)} s, ${fmt(cpuSeconds, 1)} s of CPU`;
      printTable(title, samples);
    }
    console.log('\ngrowth after warm-up (last sample / warm-up sample):');
    console.log('run                    | held   | slots  | heapUsed+external | rss');
    for (const [label, , samples] of runs) {
      const g = growth(samples);
      console.log(
        `${label.padEnd(22)} | ${g.held.toFixed(2).padStart(5)}x | ${g.slots.toFixed(2).padStart(5)}x | ` +
          `${g.jsMemory.toFixed(2).padStart(16)}x | ${g.rss.toFixed(2)}x`,
      );
    }
    const [withEviction, control] = runs.map((r) => r[2]) as [Sample[], Sample[]];
    const failed = failures(withEviction);
    const controlLast = control[control.length - 1] as Sample;
    // Without the contrast the run shows nothing (eviction on in both, or a population that does not churn).
    if (controlLast.held <= HELD_TOLERANCE * (withEviction[withEviction.length - 1] as Sample).held)
      failed.push(`the control holds ${controlLast.held} customers: it should hold every one seen`);
    const last = withEviction[withEviction.length - 1] as Sample;
    console.log(
      JSON.stringify({
        bench: 'eviction-soak',
        live: LIVE,
        turnover: TURNOVER,
        retentionDays: RETENTION_DAYS,
        events: last.events,
        customers: last.arrived,
        evicted: last.evicted,
        heldLast: last.held,
        mustHoldLast: last.mustHold,
        growthWithEviction: growth(withEviction),
        growthControl: growth(control),
        seconds: runs.map((r) => Number(r[3].toFixed(1))),
        cpuSeconds: runs.map((r) => Number(r[4].toFixed(1))),
        ok: failed.length === 0,
      }),
    );
    for (const f of failed) console.error(`FAIL: ${f}`);
    if (failed.length > 0) process.exitCode = 1;
  } finally {
    model.dispose();
  }
}

await main();
