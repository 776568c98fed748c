/**
 * Where one customer-day's events are made: the day's reseeded generator, event ids, the window filter and the
 * time-of-day draw, shared by the behaviour parts (shopping.ts, messaging.ts, voice.ts).
 */
import type { CustomerEvent } from '../contract/event.js';
import { Prng, mixSeed } from './prng.js';

/** An event's channel. */
export type Channel = NonNullable<CustomerEvent['channel']>;

/** One hour, in milliseconds. */
export const HOUR_MS = 3_600_000;

// Relative activity per hour of the day: quiet nights, a lunch bump, an evening peak.
const HOUR_WEIGHTS = [
  0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1, 1, 1.1, 1, 0.9, 0.9, 1, 1.1, 1.3, 1.5, 1.6, 1.4, 1,
  0.5,
];
const HOUR_CDF = ((): Float64Array => {
  const total = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(24);
  let acc = 0;
  HOUR_WEIGHTS.forEach((w, h) => (cdf[h] = acc += w / total));
  return cdf;
})();

/** Emits one customer-day's events into an output array, keeping those inside a time window. */
export class DayEmitter {
  /** The day's generator: every (customer, day) draws from its own reseeded sequence. */
  readonly rng = new Prng(0);
  private out: CustomerEvent[] = [];
  private lo = 0;
  private hi = 0;
  private customerId = '';
  private idBase = '';
  private n = 0;
  private ci = 0;
  private day = 0;
  private readonly seedTag: string;

  constructor(
    private readonly seed: number,
    private readonly prefix: string,
  ) {
    this.seedTag = seed.toString(36);
  }

  /** Starts customer `i`'s day `day`: events are kept when their ts lies in [lo, hi). */
  begin(i: number, customerId: string, day: number, lo: number, hi: number, out: CustomerEvent[]): void {
    this.out = out;
    this.lo = lo;
    this.hi = hi;
    this.customerId = customerId;
    this.idBase = '';
    this.n = 0;
    this.ci = i;
    this.day = day;
    this.rng.reseed(mixSeed(this.seed, i, day));
  }

  /** Milliseconds into the day, following the hourly profile of activity. */
  timeOfDay(): number {
    const u = this.rng.float();
    let h = 0;
    while (h < 23 && u >= (HOUR_CDF[h] ?? 1)) h++;
    return h * HOUR_MS + this.rng.int(HOUR_MS);
  }

  /** Appends an event when its ts lies in the window; its id number is taken either way. */
  emit(
    ts: number,
    type: string,
    value: number | undefined,
    channel: Channel,
    props?: Record<string, number>,
  ): void {
    // The id number is taken even for skipped events, so an event keeps its id whatever window is generated.
    const n = this.n++;
    if (ts < this.lo || ts >= this.hi) return;
    // Ids: `<prefix><seed>-<customer>-<day>-<n>` (base 36), unique per simulator seed and prefix; built
    // lazily because most customer-days emit nothing.
    if (this.idBase === '')
      this.idBase = `${this.prefix}${this.seedTag}-${this.ci.toString(36)}-${this.day.toString(36)}-`;
    const id = this.idBase + n.toString(36);
    ts = Math.floor(ts);
    // One literal per shape keeps the number of hidden classes small and avoids adding fields one by one.
    let ev: CustomerEvent;
    if (value === undefined) ev = { id, customerId: this.customerId, type, ts, channel };
    else if (props === undefined) ev = { id, customerId: this.customerId, type, ts, value, channel };
    else ev = { id, customerId: this.customerId, type, ts, value, channel, props };
    this.out.push(ev);
  }
}
