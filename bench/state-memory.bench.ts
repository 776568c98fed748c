/**
 * bench/state-memory.bench.ts — memory per customer and apply throughput of the customer store.
 *
 * What it measures: N customers (default 1,000,000) each get a realistic handful of events (two rounds of
 * 5 to 9 mixed-type events, each spread over 90 days) through `createCustomerStore().apply` in
 * pull-batch-sized calls (1,000 events). It prints
 *   - process memory per customer after a full GC: rss delta and heapUsed + arrayBuffers delta, everything
 *     included (id map, id strings, typed-array columns, growth slack), against the 1 KB budget;
 *   - apply throughput (events/s), for the first events of each customer (creates the slot) and for a second
 *     round on existing customers (steady state), timing apply() only, not event generation;
 *   - as a same-run baseline, bytes per customer of a naive store with one JS object per customer holding
 *     the same counters (rings as arrays of arrays), measured on min(N, 200,000) customers.
 * Command:       npm run build && node --expose-gc dist/bench/state-memory.bench.js [customers]
 *                (CAPACITY=<slots> in the environment sets initialCapacity; default 1024, grown by doubling)
 * Prerequisites: Node 20+, `npm ci`; nothing else (no NATS). About 1 GB of RAM at the default size.
 */
import { createScoreChanges } from '../src/publish/index.js';
import { createSegmentMembership, loadSegmentRules } from '../src/segment/index.js';
import { createDeadlineScheduler } from '../src/segment/timers.js';
import { FEATURE_COUNT } from '../src/state/feature-catalog.js';
import type { CustomerEvent } from '../src/contract/event.js';
import type { DecodedEvent } from '../src/decode/types.js';
import { DAY_MS, createCustomerStore } from '../src/state/index.js';

const START_MS = Date.parse('2024-01-01T00:00:00Z');
const BATCH_CUSTOMERS = 10_000;
const BASELINE_MAX = 200_000;
// Type mix of a typical retail stream (weights sum to 100).
const MIX: readonly (readonly [string, number, CustomerEvent['channel']])[] = [
  ['page_view', 28, 'web'],
  ['product_view', 15, 'web'],
  ['session', 12, 'app'],
  ['app_open', 6, 'app'],
  ['search', 6, 'web'],
  ['cart_add', 6, 'web'],
  ['message_sent', 10, 'email'],
  ['message_open', 5, 'email'],
  ['message_click', 2, 'email'],
  ['purchase', 6, 'web'],
  ['support_ticket', 2, 'phone'],
  ['nps', 1, undefined],
  ['review', 1, undefined],
];
const NO_BYTES = new Uint8Array(0);

/** Deterministic PRNG (mulberry32), so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const customerId = (i: number): string => `cus_${i.toString(36).padStart(8, '0')}`;

/** Events of customers [from, to): 5..9 each over 90 days from `startMs`, stream sequences from `seq`. */
function makeBatch(from: number, to: number, startMs: number, seq: { next: number }, rand: () => number) {
  const out: DecodedEvent[] = [];
  for (let c = from; c < to; c++) {
    const id = customerId(c);
    const n = 5 + Math.floor(rand() * 5);
    for (let k = 0; k < n; k++) {
      let pick = rand() * 100;
      let m = MIX[0]!;
      for (const entry of MIX) {
        m = entry;
        if ((pick -= entry[1]) < 0) break;
      }
      const [type, , channel] = m;
      const value =
        type === 'purchase'
          ? Math.round(rand() * 20000) / 100
          : type === 'session'
            ? rand() * 900
            : undefined;
      const rating =
        type === 'nps' ? Math.floor(rand() * 11) : type === 'review' ? 1 + Math.floor(rand() * 5) : value;
      const event: CustomerEvent = { customerId: id, type, ts: startMs + Math.floor(rand() * 90 * DAY_MS) };
      if (channel !== undefined) event.channel = channel;
      if (rating !== undefined) event.value = rating;
      out.push({ event, subject: '', data: NO_BYTES, streamSeq: seq.next++, publishedAtMs: event.ts });
    }
  }
  return out;
}

function gcNow(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error('run with node --expose-gc (see the comment at the top of this file)');
  gc();
  gc();
}

function memory(): { rss: number; heap: number; heapTotal: number; arrayBuffers: number } {
  gcNow();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heap: m.heapUsed + m.arrayBuffers,
    heapTotal: m.heapTotal,
    arrayBuffers: m.arrayBuffers,
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

/** Columnar store: memory per customer and apply throughput; the store is unreachable once this returns. */
async function measureColumnar(customers: number): Promise<number> {
  const rand = rng(42);
  const seq = { next: 1 };
  const before = memory();
  const store = createCustomerStore({ initialCapacity: Number(process.env.CAPACITY ?? 1024) });
  let events = 0;
  let applyMs = 0;
  for (const [round, startMs] of [START_MS, START_MS + 90 * DAY_MS].entries()) {
    let roundEvents = 0;
    let roundMs = 0;
    for (let c = 0; c < customers; c += BATCH_CUSTOMERS) {
      const batch = makeBatch(c, Math.min(customers, c + BATCH_CUSTOMERS), startMs, seq, rand);
      // Pull-batch-sized apply calls, as the pipeline makes them; only apply() is timed.
      for (let i = 0; i < batch.length; i += 1000) {
        const slice = batch.slice(i, i + 1000);
        const t0 = performance.now();
        store.apply(slice);
        roundMs += performance.now() - t0;
      }
      roundEvents += batch.length;
    }
    const label = round === 0 ? 'first events (new customers)' : 'second round (existing customers)';
    const rate = fmt((roundEvents / roundMs) * 1000);
    console.log(`apply, ${label}: ${fmt(roundEvents)} events in ${fmt(roundMs)} ms = ${rate} events/s`);
    events += roundEvents;
    applyMs += roundMs;
  }
  // The engine also keeps, per customer, its last published scores and sequence (publish/score-changes.ts).
  const published = createScoreChanges({ minRiskDelta: 0.01, minEngagementDelta: 1 });
  for (let slot = 0; slot < store.slotEnd; slot++) published.changed(slot, rand(), slot % 101, slot % 9);
  // ...its segment memberships (the default pack, evaluated on every customer's real features) and one pending
  // timer each (segment/membership.ts, segment/timers.ts): everything per customer the engine holds.
  const segments = await measureSegmentsAndTimers(store);
  const after = memory();
  // Read after the measurement, so the structures are still reachable when memory is sampled.
  if (segments.timers.size !== store.size) throw new Error('every customer should hold a timer');
  if (store.size !== customers) throw new Error(`store holds ${store.size} customers, expected ${customers}`);
  const perRss = (after.rss - before.rss) / customers;
  const perHeap = (after.heap - before.heap) / customers;
  console.log(
    `customers ${fmt(customers)}, events ${fmt(events)}, apply ${fmt((events / applyMs) * 1000)} events/s`,
  );
  console.log(
    `engine per-customer state (store, published scores, ${segments.count} segments, timer): rss ${fmt(perRss)} B/customer, heapUsed+arrayBuffers ${fmt(perHeap)} B/customer`,
  );
  console.log(
    `  of which typed-array columns ${fmt(store.columnBytes / customers)} B/customer (budget 1,024 B)`,
  );
  const heapTotal = (after.heapTotal - before.heapTotal) / customers;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / customers;
  console.log(`  V8 heap committed ${fmt(heapTotal)} B/customer, array buffers ${fmt(buffers)} B/customer`);
  return perHeap;
}

// ---- Baseline: the obvious JS design, one object per customer, rings as arrays of arrays. ----

interface NaiveLevel {
  tileMs: number;
  head: number;
  counts: number[][];
  amounts: number[][];
}

const naiveLevel = (tileDays: number, ring: number, counts: number, amounts: number): NaiveLevel => ({
  tileMs: tileDays * DAY_MS,
  head: -1,
  counts: Array.from({ length: ring }, () => new Array<number>(counts).fill(0)),
  amounts: Array.from({ length: amounts === 0 ? 0 : ring }, () => new Array<number>(amounts).fill(0)),
});

/** The same counters as the columnar store (same levels, metrics and lifetime scalars), as objects. */
function naiveCustomer(id: string) {
  return {
    id,
    levels: [naiveLevel(1, 8, 7, 0), naiveLevel(5, 7, 16, 2), naiveLevel(15, 7, 14, 1)],
    firstMs: Infinity,
    lastMs: -1,
    lastPurchaseMs: -1,
    maxSeq: 0,
    revenueCents: 0,
    redeemedPoints: 0,
    csatSum: 0,
    reviewSum: 0,
    lastNpsMs: -1,
    lastNps: -1,
    lastCancelMs: -1,
    lastSubscribeMs: -1,
    lastSignupMs: -1,
    optOut: [-1, -1, -1],
    counts: { purchases: 0, csatCount: 0, reviews: 0, referrals: 0, socialShares: 0 },
  };
}

function measureNaive(customers: number, columnarPerHeap: number): void {
  const rand = rng(42);
  const seq = { next: 1 };
  const before = memory();
  const byId = new Map<string, ReturnType<typeof naiveCustomer>>();
  for (let c = 0; c < customers; c += BATCH_CUSTOMERS) {
    for (const d of makeBatch(c, Math.min(customers, c + BATCH_CUSTOMERS), START_MS, seq, rand)) {
      const e = d.event;
      let cust = byId.get(e.customerId);
      if (cust === undefined) byId.set(e.customerId, (cust = naiveCustomer(e.customerId)));
      cust.firstMs = Math.min(cust.firstMs, e.ts);
      cust.lastMs = Math.max(cust.lastMs, e.ts);
      cust.maxSeq = d.streamSeq;
      for (const level of cust.levels) {
        const tile = Math.floor(e.ts / level.tileMs);
        if (tile > level.head) level.head = tile; // eviction elided: memory is the point here
        level.counts[tile % level.counts.length]![0]! += 1;
      }
      if (e.type === 'purchase') cust.revenueCents += Math.round((e.value ?? 0) * 100);
    }
  }
  const after = memory();
  const perRss = (after.rss - before.rss) / customers;
  const perHeap = (after.heap - before.heap) / customers;
  console.log(
    `naive object-per-customer baseline (${fmt(byId.size)} customers): ` +
      `rss ${fmt(perRss)} B/customer, heapUsed+arrayBuffers ${fmt(perHeap)} B/customer`,
  );
  console.log(`ratio naive / columnar (heapUsed+arrayBuffers): ${fmt(perHeap / columnarPerHeap, 1)}x`);
}

async function main(): Promise<void> {
  const customers = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isInteger(customers) || customers <= 0)
    throw new Error(`bad customer count: ${process.argv[2]}`);
  console.log(`node ${process.version}, ${customers} customers, ids like ${customerId(customers - 1)}`);
  const perHeap = await measureColumnar(customers);
  measureNaive(Math.min(customers, BASELINE_MAX), perHeap);
}

await main();

/** Evaluates the default segment pack for every customer in 1,024-row batches and arms a timer for each. */
async function measureSegmentsAndTimers(store: ReturnType<typeof createCustomerStore>) {
  const rules = await loadSegmentRules('config/segments.json');
  const membership = createSegmentMembership(rules);
  const timers = createDeadlineScheduler();
  const rows = 1024;
  const features = new Float32Array(rows * FEATURE_COUNT);
  const scores = {
    churnRisk: new Float32Array(rows),
    engagement: new Uint8Array(rows),
    stage: new Uint8Array(rows),
  };
  const slots: number[] = [];
  const flush = (): void => {
    membership.evaluate(slots, slots.length, features, scores, store.watermarkMs, (s) => store.customerId(s));
    for (const slot of slots) timers.schedule(slot, store.watermarkMs + (slot % 1440) * 60_000);
    slots.length = 0;
  };
  for (let slot = 0; slot < store.slotEnd; slot++) {
    store.features(slot, store.watermarkMs, features, slots.length * FEATURE_COUNT);
    scores.churnRisk[slots.length] = (slot % 100) / 100;
    slots.push(slot);
    if (slots.length === rows) flush();
  }
  if (slots.length > 0) flush();
  return { count: rules.rules.length, membership, timers };
}
