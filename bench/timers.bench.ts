/**
 * bench/timers.bench.ts — the silent-customer timers: 1,000,000 pending deadlines.
 *
 * What it measures, for `createDeadlineScheduler()` (src/segment/timers.ts) and, in the same run, a naive
 * baseline (a binary min-heap of `{ slot, at, version }` objects plus a `Map<slot, version>` for replacement
 * and cancellation by lazy deletion, the usual JS timer queue):
 *   - memory per pending deadline after a full GC (heapUsed + arrayBuffers delta), with N deadlines spread
 *     over 30 days of event time to the millisecond (one per customer slot);
 *   - schedule rate: N first deadlines, then N replacements (every customer re-armed once, as after an event);
 *   - due() rate: the watermark walks the 30 days in 1-minute steps (43,200 calls, as an idle engine's wall
 *     clock would), every deadline returned once; checked against N.
 * Then events against many buckets, as the evaluation planner drives the timers (src/engine/evaluation-planner.ts:
 * per applied event, the customer's deadline is replaced and `due(clock)` is called), in events per second:
 *   - eviction deadlines: S customers (50,000) with deadlines spread over 365 days to the millisecond (up to
 *     525,600 one-minute buckets); each event re-arms one customer at its event time + 365 days and calls due();
 *     a customer that comes due is evicted (its deadline is gone). The event clock covers 30 days;
 *   - daily re-scoring: the same with every deadline within 1 day (1,440 buckets), a due customer re-armed
 *     1 day later as its re-score would. The event clock covers 2 days.
 *   Every contender gets the same events; the deadlines fired are counted and checked equal across them.
 * Command:       npm run build && node --expose-gc dist/bench/timers.bench.js [deadlines] [customers]
 * Prerequisites: Node 20+, `npm ci`; nothing else (no NATS). About 500 MB of RAM at the default size.
 */
import { createDeadlineScheduler } from '../src/segment/timers.js';
import { DAY_MS } from '../src/state/index.js';

const START_MS = Date.parse('2024-06-01T00:00:00Z');
const SPAN_MS = 30 * DAY_MS;
const STEP_MS = 60_000;

/** The operations both contenders offer. */
interface Timers {
  schedule(slot: number, atMs: number): void;
  due(watermarkMs: number): number[];
}

/** Baseline: a binary min-heap of objects, lazily invalidated through a per-slot version map. */
class HeapTimers implements Timers {
  private readonly heap: { slot: number; at: number; version: number }[] = [];
  private readonly versions = new Map<number, number>();
  private nextVersion = 1;

  schedule(slot: number, atMs: number): void {
    const version = this.nextVersion++;
    this.versions.set(slot, version);
    const h = this.heap;
    h.push({ slot, at: atMs, version });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  due(watermarkMs: number): number[] {
    const out: number[] = [];
    const h = this.heap;
    while (h.length > 0 && h[0]!.at <= watermarkMs) {
      const top = h[0]!;
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && h[l]!.at < h[m]!.at) m = l;
          if (r < h.length && h[r]!.at < h[m]!.at) m = r;
          if (m === i) break;
          [h[m], h[i]] = [h[i]!, h[m]!];
          i = m;
        }
      }
      if (this.versions.get(top.slot) === top.version) {
        this.versions.delete(top.slot);
        out.push(top.slot);
      }
    }
    return out;
  }
}

/** Deterministic deadlines (mulberry32), so both contenders get the same ones. */
function deadlines(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = START_MS + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * SPAN_MS);
  }
  return out;
}

function heapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error('run with node --expose-gc (see the comment at the top of this file)');
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

function run(label: string, make: () => Timers, first: Float64Array, second: Float64Array): void {
  const n = first.length;
  const before = heapBytes();
  const timers = make();
  let t0 = performance.now();
  for (let i = 0; i < n; i++) timers.schedule(i, first[i]!);
  const scheduleMs = performance.now() - t0;
  const firstBytes = heapBytes() - before;
  t0 = performance.now();
  for (let i = 0; i < n; i++) timers.schedule(i, second[i]!);
  const replaceMs = performance.now() - t0;
  const bytes = heapBytes() - before;
  let fired = 0;
  let calls = 0;
  t0 = performance.now();
  for (let wm = START_MS; wm < START_MS + SPAN_MS + STEP_MS; wm += STEP_MS) {
    fired += timers.due(wm).length;
    calls++;
  }
  const dueMs = performance.now() - t0;
  if (fired !== n) throw new Error(`${label}: due() returned ${fired} deadlines, expected ${n}`);
  console.log(`${label}:`);
  console.log(
    `  memory ${fmt(firstBytes / n, 1)} B per pending deadline after N first ones, ${fmt(bytes / n, 1)} B after N replacements (heapUsed + arrayBuffers, after GC)`,
  );
  console.log(`  schedule (new)      ${fmt((n / scheduleMs) * 1000)} /s`);
  console.log(`  schedule (replace)  ${fmt((n / replaceMs) * 1000)} /s`);
  console.log(
    `  due(): ${fmt(n)} deadlines over ${fmt(calls)} calls in ${fmt(dueMs)} ms = ${fmt((n / dueMs) * 1000)} /s`,
  );
  // Keep `timers` alive through the memory reading above.
  if (calls < 0) console.log(timers);
}

const n = Number(process.argv[2] ?? 1_000_000);
const first = deadlines(n, 1);
const second = deadlines(n, 2);
console.log(`${fmt(n)} pending deadlines over 30 days of event time; watermark steps of 1 minute`);
run(
  'bucketed scheduler (Float64 per slot + Int32 lists per minute)',
  () => createDeadlineScheduler(),
  first,
  second,
);
run('baseline: binary heap of objects + Map<slot, version>', () => new HeapTimers(), first, second);

/** One event per customer chosen at random, each followed by due(), as the planner does per applied event. */
interface ChurnCase {
  readonly label: string;
  readonly customers: number;
  readonly events: number;
  /** Event time covered by the events; they come at even steps. */
  readonly eventSpanMs: number;
  /** Initial deadlines are spread over this, and an event re-arms its customer this far ahead. */
  readonly horizonMs: number;
  /** Whether a customer whose deadline comes is re-armed `horizonMs` later (re-score) or dropped (evicted). */
  readonly rearm: boolean;
}

function churn(c: ChurnCase, make: () => Timers): { fired: number; ms: number } {
  const timers = make();
  const initial = deadlines(c.customers, 3);
  for (let slot = 0; slot < c.customers; slot++) {
    timers.schedule(slot, START_MS + ((initial[slot]! - START_MS) * c.horizonMs) / SPAN_MS);
  }
  const picks = deadlines(c.events, 4);
  const stepMs = c.eventSpanMs / c.events;
  let fired = 0;
  const t0 = performance.now();
  for (let i = 0; i < c.events; i++) {
    const now = Math.floor(START_MS + i * stepMs);
    const slot = Math.floor(((picks[i]! - START_MS) / SPAN_MS) * c.customers);
    timers.schedule(slot, now + c.horizonMs);
    const due = timers.due(now);
    fired += due.length;
    if (c.rearm) for (const s of due) timers.schedule(s, now + c.horizonMs);
  }
  return { fired, ms: performance.now() - t0 };
}

function runChurn(c: ChurnCase): void {
  console.log(
    `${c.label}: ${fmt(c.customers)} customers, deadlines over ${fmt(c.horizonMs / DAY_MS)} days, ` +
      `${fmt(c.events)} events (re-arm one customer + due()) over ${fmt(c.eventSpanMs / DAY_MS)} days of event time`,
  );
  let expected: number | undefined;
  for (const [name, make] of [
    ['bucketed scheduler', () => createDeadlineScheduler()],
    ['baseline: binary heap of objects', () => new HeapTimers()],
  ] as const) {
    const { fired, ms } = churn(c, make);
    if (expected !== undefined && fired !== expected) {
      throw new Error(`${c.label}, ${name}: ${fired} deadlines fired, the first contender fired ${expected}`);
    }
    expected = fired;
    console.log(
      `  ${name.padEnd(34)} ${fmt((c.events / ms) * 1000)} events/s (${fmt(fired)} deadlines fired)`,
    );
  }
}

const customers = Number(process.argv[3] ?? 50_000);
runChurn({
  label: 'eviction deadlines',
  customers,
  events: 200_000,
  eventSpanMs: 30 * DAY_MS,
  horizonMs: 365 * DAY_MS,
  rearm: false,
});
runChurn({
  label: 'daily re-scoring',
  customers,
  events: 200_000,
  eventSpanMs: 2 * DAY_MS,
  horizonMs: DAY_MS,
  rearm: true,
});
