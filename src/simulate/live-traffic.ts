/**
 * Live traffic: the simulator's history replayed at a chosen rate with ts = now, as an Observable of batches.
 * The demo's producer and the benchmarks' load generator.
 */
import {
  asyncScheduler,
  defer,
  filter,
  interval,
  map,
  takeWhile,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { CustomerEvent } from '../contract/event.js';
import { DAY_MS } from './profiles.js';
import type { Simulator } from './simulator.js';

/** Options of {@link liveTraffic}. */
export interface LiveTrafficOptions {
  /** Events per second, on average over time. */
  readonly ratePerSec: number;
  /** Emission period, ms: one batch per tick. @default 20 */
  readonly tickMs?: number;
  /** Scheduler of the ticks (a TestScheduler gives virtual time). @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Event time stamped on emitted events, epoch ms. @default () => scheduler.now() (Date.now for asyncScheduler) */
  readonly clock?: () => number;
  /** Where in simulated time the replay starts, epoch ms. @default the simulator's startMs */
  readonly fromMs?: number;
  /** Most events in one batch; debt beyond it after a stall is forgiven, not burst. @default ratePerSec (1 s) */
  readonly maxBatch?: number;
}

/** Simulated time pulled from the simulator per refill: an hour keeps the buffer small at any scale. */
const REFILL_MS = 3_600_000;
/** A year of simulated silence means there is no traffic left to replay. */
const MAX_EMPTY_REFILLS = (365 * DAY_MS) / REFILL_MS;

/**
 * An Observable of event batches at `ratePerSec`: every tick it emits the events owed since subscription
 * (rate × elapsed clock time, less what it already sent), taken in order from the simulator's history and
 * re-stamped with ts = clock(). Realistic per-customer sequences (browse → cart → purchase) survive; only time
 * is compressed or stretched to hit the rate. Empty ticks are not emitted. Each subscription replays afresh.
 * The events are new objects owned by the subscriber. When the history runs dry (a year of simulated time
 * without an event: no customers, or none still receiving the brand's sends), the stream completes.
 */
export function liveTraffic(sim: Simulator, opts: LiveTrafficOptions): Observable<CustomerEvent[]> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  const clock = opts.clock ?? ((): number => scheduler.now());
  const tickMs = Math.max(1, opts.tickMs ?? 20);
  const rate = Math.max(0, opts.ratePerSec);
  const maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? rate));
  return defer(() => {
    const cursor = new HistoryCursor(sim, opts.fromMs ?? sim.startMs);
    const t0 = clock();
    let sent = 0;
    return interval(tickMs, scheduler).pipe(
      map(() => {
        const now = clock();
        const target = Math.floor(((now - t0) * rate) / 1000);
        let owed = target - sent;
        // After a stall, send at most maxBatch and forgive the rest: a load generator that falls behind should
        // say so in the consumer's rate, not burst for seconds to catch up.
        if (owed > maxBatch) owed = maxBatch;
        sent = owed === maxBatch ? target : sent + owed;
        return cursor.take(owed, now);
      }),
      takeWhile((batch) => batch.length > 0 || !cursor.done),
      filter((batch) => batch.length > 0),
    );
  });
}

/** Walks the simulator's history in order, an hour of simulated time at a time. */
class HistoryCursor {
  done = false;
  private buffer: CustomerEvent[] = [];
  private pos = 0;

  constructor(
    private readonly sim: Simulator,
    private simMs: number,
  ) {}

  /** The next `n` events re-stamped with ts = nowMs (fewer only when the history is exhausted). */
  take(n: number, nowMs: number): CustomerEvent[] {
    const out: CustomerEvent[] = [];
    while (out.length < n && !this.done) {
      if (this.pos >= this.buffer.length && !this.refill()) break;
      const ev = this.buffer[this.pos++]!;
      // The buffer's events are fresh objects from eventsBetween, owned here: re-stamping in place saves a copy.
      ev.ts = nowMs;
      out.push(ev);
    }
    return out;
  }

  private refill(): boolean {
    for (let empty = 0; empty < MAX_EMPTY_REFILLS; empty++) {
      this.buffer = this.sim.eventsBetween(this.simMs, this.simMs + REFILL_MS);
      this.pos = 0;
      this.simMs += REFILL_MS;
      if (this.buffer.length > 0) return true;
    }
    this.done = true;
    return false;
  }
}
