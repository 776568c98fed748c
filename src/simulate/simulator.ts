/**
 * The simulator: deterministic customer traffic over the whole event catalog, with ground-truth churn (a latent
 * hazard, gradual decline, win-back; docs/simulator.md). It makes training history, demo traffic and the
 * benchmarks' load.
 */
import type { CustomerEvent } from '../contract/event.js';
import { DayGenerator } from './day-generator.js';
import { groundTruthOf, type GroundTruth } from './ground-truth.js';
import { DAY_MS, createProfiles, type ProfileOptions, type Profiles } from './profiles.js';

/** Options of {@link createSimulator}. */
export interface SimulatorOptions extends ProfileOptions {
  /** Number of customers (existing ones and newcomers together). */
  readonly customers: number;
  /** PRNG seed; the same seed and options always give the same events. @default 1 */
  readonly seed?: number;
  /** Start of simulated time, epoch ms: no event is earlier. Day boundaries are counted from here. */
  readonly startMs: number;
  /** Prefix of customer ids (`c-000123`) and event ids; lets several simulators share a stream. @default 'c-' */
  readonly customerIdPrefix?: string;
}

/** A deterministic generator of customer events. Created by {@link createSimulator}. */
export interface Simulator {
  /** Number of customers. */
  readonly customers: number;
  /** Start of simulated time, epoch ms. */
  readonly startMs: number;
  /** The seed in use. */
  readonly seed: number;
  /** All events with ts in [fromMs, toMs), sorted by ts (ties in a fixed order). Empty when toMs <= fromMs. */
  eventsBetween(fromMs: number, toMs: number): CustomerEvent[];
  /**
   * The same events as {@link eventsBetween}, as consecutive sorted batches of at most `batchMs` of event time
   * each (default one day), so long histories stream without holding every event at once.
   */
  batchesBetween(fromMs: number, toMs: number, batchMs?: number): Iterable<CustomerEvent[]>;
  /** The id of customer number `index` (0-based). */
  customerId(index: number): string;
  /** The ground truth of a customer, or undefined for an id this simulator does not know. */
  groundTruth(customerId: string): GroundTruth | undefined;
}

/**
 * Creates a simulator; profiles and their latent life courses are drawn up front (a few µs per customer: the
 * churn process runs day by day from each customer's signup to the churn horizon).
 */
export function createSimulator(opts: SimulatorOptions): Simulator {
  return new SimulatorImpl(opts);
}

/** Bits of an event's offset within its day, in ms: 86,400,000 < 2^27. */
const DAY_OFFSET_BITS = 27;

class SimulatorImpl implements Simulator {
  readonly customers: number;
  readonly startMs: number;
  readonly seed: number;
  private readonly profiles: Profiles;
  private readonly gen: DayGenerator;
  private index: Map<string, number> | undefined;

  constructor(opts: SimulatorOptions) {
    this.customers = Math.max(0, Math.floor(opts.customers));
    this.startMs = Math.floor(opts.startMs);
    this.seed = (opts.seed ?? 1) >>> 0;
    const prefix = opts.customerIdPrefix ?? 'c-';
    this.profiles = createProfiles(this.customers, this.seed, this.startMs, prefix, opts);
    this.gen = new DayGenerator(this.profiles, this.seed, prefix);
  }

  eventsBetween(fromMs: number, toMs: number): CustomerEvent[] {
    const out: CustomerEvent[] = [];
    for (const batch of this.batchesBetween(fromMs, toMs, Infinity)) {
      for (let k = 0; k < batch.length; k++) out.push(batch[k]!);
    }
    return out;
  }

  *batchesBetween(fromMs: number, toMs: number, batchMs = DAY_MS): Iterable<CustomerEvent[]> {
    if (!(toMs > fromMs)) return;
    const firstDay = Math.max(0, Math.floor((fromMs - this.startMs) / DAY_MS));
    const lastDay = Math.ceil((toMs - this.startMs) / DAY_MS) - 1;
    let batch: CustomerEvent[] = [];
    let batchEnd = fromMs + batchMs;
    for (let day = firstDay; day <= lastDay; day++) {
      const dayStart = this.startMs + day * DAY_MS;
      const events = this.day(day, dayStart, Math.max(fromMs, dayStart), Math.min(toMs, dayStart + DAY_MS));
      for (let k = 0; k < events.length; k++) {
        const ev = events[k]!;
        while (ev.ts >= batchEnd) {
          if (batch.length > 0) yield batch;
          batch = [];
          batchEnd += batchMs;
        }
        batch.push(ev);
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** One day's events within [fromMs, toMs), sorted by ts. */
  private day(day: number, dayStart: number, fromMs: number, toMs: number): CustomerEvent[] {
    const pr = this.profiles;
    const dayEnd = dayStart + DAY_MS;
    const events: CustomerEvent[] = [];
    for (let i = 0; i < this.customers; i++) {
      // Skip customers not yet signed up without touching their generator. Those who left still get the
      // brand's sends (and may come back), so they are generated like everyone else.
      if ((pr.signupMs[i] ?? 0) >= dayEnd) continue;
      this.gen.generate(i, day, dayStart, fromMs, toMs, events);
    }
    return sortByTs(events, dayStart);
  }

  customerId(index: number): string {
    return this.profiles.ids[index] ?? '';
  }

  groundTruth(customerId: string): GroundTruth | undefined {
    this.index ??= new Map(this.profiles.ids.map((id, i) => [id, i]));
    const i = this.index.get(customerId);
    return i === undefined ? undefined : groundTruthOf(this.profiles, i);
  }
}

/**
 * Sorts one day's events by ts, ties in generation order. Packs (offset in day, position) into one float64 key
 * and sorts a Float64Array: a numeric typed-array sort is several times faster than Array#sort with a
 * comparator over objects, which matters at millions of events per second.
 */
function sortByTs(events: CustomerEvent[], dayStart: number): CustomerEvent[] {
  const n = events.length;
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  if (DAY_OFFSET_BITS + bits > 53) return events.sort((x, y) => x.ts - y.ts); // stable, slower, > 64M events
  const scale = 2 ** bits;
  const keys = new Float64Array(n);
  for (let k = 0; k < n; k++) keys[k] = (events[k]!.ts - dayStart) * scale + k;
  keys.sort();
  const sorted = new Array<CustomerEvent>(n);
  for (let k = 0; k < n; k++) {
    const key = keys[k]!;
    sorted[k] = events[key - Math.floor(key / scale) * scale]!;
  }
  return sorted;
}
