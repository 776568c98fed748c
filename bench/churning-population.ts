/**
 * A churning customer population in event time, for bench/eviction-soak.bench.ts: a constant number of active
 * customers, each active for a fixed lifetime and then gone for good, replaced by customers with fresh ids (never
 * reused), so the population turns over again and again while event time advances.
 */
import type { CustomerEvent } from '../src/contract/event.js';
import { DAY_MS } from '../src/state/index.js';

/** Options of {@link createChurningPopulation}. */
export interface ChurningPopulationOptions {
  /** Customers active at any moment once the first lifetime has passed. */
  readonly live: number;
  /** How many times the active population is replaced: `live * turnover` distinct customers in all. */
  readonly turnover: number;
  /** How long a customer stays active (event time, days); the stream spans `turnover * lifetimeDays` days. */
  readonly lifetimeDays: number;
  /** Mean gap between a customer's visits (days); gaps are uniform in [0.1, 1.9] x the mean. */
  readonly meanGapDays: number;
  /** Event time of the first arrival (epoch ms). */
  readonly startMs: number;
  readonly seed: number;
}

/** The stream of a churning population, a day of event time at a time, and what it has emitted so far. */
export interface ChurningPopulation {
  /** Event time where the stream ends (epoch ms): the last arrival; nobody has left early by then. */
  readonly endMs: number;
  /** The events of the next day in time order (`startMs` + whole days); undefined once past `endMs`. */
  nextDay(): CustomerEvent[] | undefined;
  /** Customers that arrived and whose active life has not ended at `atMs`. */
  activeAt(atMs: number): number;
  /** Customers that arrived and had an event after `sinceMs` (those an engine with that retention must hold). */
  heardFromAfter(sinceMs: number): number;
  /** Distinct customers so far. */
  readonly arrived: number;
}

// Visit types of a typical retail stream, cumulative weights out of 100.
const VISITS: readonly (readonly [number, CustomerEvent['type'], CustomerEvent['channel']])[] = [
  [30, 'page_view', 'web'],
  [45, 'product_view', 'web'],
  [58, 'session', 'app'],
  [64, 'app_open', 'app'],
  [70, 'search', 'web'],
  [77, 'cart_add', 'web'],
  [85, 'message_open', 'email'],
  [95, 'purchase', 'web'],
  [98, 'support_ticket', 'phone'],
  [100, 'review', undefined],
];

/** Deterministic PRNG (mulberry32): both runs of the benchmark see the same stream. */
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

/** Customer ids: `soak-<index in base 36>`, the index never reused. */
export const soakCustomerId = (index: number): string => `soak-${index.toString(36)}`;

/**
 * Creates the population. Customer `c` arrives at `startMs + c * lifetime / live` (so arrivals balance departures)
 * with a first visit, visits again after each gap while its lifetime lasts, and is never heard of afterwards.
 * Bookkeeping is two Float64Arrays of `live * turnover` entries allocated here, plus a calendar of the active
 * customers' next visits: its memory does not grow while the stream runs.
 */
export function createChurningPopulation(opts: ChurningPopulationOptions): ChurningPopulation {
  const total = opts.live * opts.turnover;
  const lifetimeMs = opts.lifetimeDays * DAY_MS;
  const arrivalMs = (c: number): number => opts.startMs + Math.floor((c * lifetimeMs) / opts.live);
  const endMs = opts.startMs + opts.turnover * lifetimeMs;
  const rand = rng(opts.seed);
  const nextVisit = new Float64Array(total);
  const lastEvent = new Float64Array(total).fill(-1);
  // Day index -> customers with a visit that day.
  const calendar = new Map<number, number[]>();
  let day = 0;
  let arrived = 0;
  const plan = (c: number, atMs: number): void => {
    if (atMs >= endMs || atMs >= arrivalMs(c) + lifetimeMs) return;
    nextVisit[c] = atMs;
    const d = Math.floor((atMs - opts.startMs) / DAY_MS);
    const list = calendar.get(d);
    if (list === undefined) calendar.set(d, [c]);
    else list.push(c);
  };
  const visit = (c: number, ts: number): CustomerEvent => {
    const pick = rand() * 100;
    const [, type, channel] = VISITS.find(([upTo]) => pick < upTo) ?? VISITS[0]!;
    const event: CustomerEvent = { customerId: soakCustomerId(c), type, ts };
    if (channel !== undefined) event.channel = channel;
    if (type === 'purchase') event.value = Math.round(rand() * 20_000) / 100;
    else if (type === 'session') event.value = Math.round(rand() * 900);
    else if (type === 'review') event.value = 1 + Math.floor(rand() * 5);
    return event;
  };

  return {
    endMs,
    get arrived() {
      return arrived;
    },
    nextDay() {
      const fromMs = opts.startMs + day * DAY_MS;
      if (fromMs >= endMs) return undefined;
      const toMs = fromMs + DAY_MS;
      while (arrived < total && arrivalMs(arrived) < toMs) plan(arrived, arrivalMs(arrived++));
      const today = calendar.get(day) ?? [];
      calendar.delete(day);
      day++;
      // A min-heap on the next visit: a gap shorter than a day brings a customer back the same day.
      const heap = new VisitHeap(nextVisit);
      for (const c of today) heap.push(c);
      const events: CustomerEvent[] = [];
      for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
        const ts = nextVisit[c]!;
        events.push(visit(c, ts));
        lastEvent[c] = ts;
        const next = ts + Math.floor((0.1 + 1.8 * rand()) * opts.meanGapDays * DAY_MS);
        if (next < toMs && next < endMs && next < arrivalMs(c) + lifetimeMs) {
          nextVisit[c] = next;
          heap.push(c);
        } else plan(c, next);
      }
      return events;
    },
    activeAt(atMs) {
      let n = 0;
      for (let c = 0; c < arrived; c++) if (arrivalMs(c) <= atMs && atMs < arrivalMs(c) + lifetimeMs) n++;
      return n;
    },
    heardFromAfter(sinceMs) {
      let n = 0;
      for (let c = 0; c < arrived; c++) if (lastEvent[c]! > sinceMs) n++;
      return n;
    },
  };
}

/** Customer indices ordered by their next visit (then by index, so the order is deterministic). */
class VisitHeap {
  private readonly items: number[] = [];
  constructor(private readonly at: Float64Array) {}

  push(c: number): void {
    const h = this.items;
    h.push(c);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): number | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (l + 1 < h.length && this.less(h[l + 1]!, h[m]!)) m = l + 1;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const d = this.at[a]! - this.at[b]!;
    return d < 0 || (d === 0 && a < b);
  }
}
