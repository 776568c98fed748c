/**
 * Latency arithmetic shared by the freshness benchmark and its publisher process: one wall clock both processes
 * read, the receipts of a measured phase, and exact percentiles over every sample (no histogram buckets).
 */

/**
 * Wall-clock time, epoch ms with sub-millisecond precision. `performance.timeOrigin` is taken from the system clock
 * when each process starts and `performance.now()` is monotonic from there, so two processes on one machine agree
 * within a fraction of a millisecond (the floor's smallest latencies, a few tenths of one, bound it), while
 * `Date.now()` would round every stamp down to a whole millisecond.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The receipts of one measured phase: those of its path (`P`, a tag) stamped from `fromMs` on give a latency each;
 * those stamped earlier (an earlier phase's stragglers, timer-driven updates) are only counted as stale.
 */
export class Phase<P extends string> {
  readonly samples: number[] = [];
  received = 0;
  stale = 0;
  constructor(
    readonly path: P,
    readonly fromMs: number,
  ) {}
  /** A message of `path` stamped `stampMs`, received at `atMs` (both from {@link wallClockMs}). */
  record(path: P, stampMs: number, atMs: number): void {
    if (path !== this.path) return;
    this.received++;
    if (stampMs >= this.fromMs) this.samples.push(atMs - stampMs);
    else this.stale++;
  }
}

/** Percentiles of a set of latencies, ms. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Exact percentiles (nearest rank) of `samples`, ms; NaN everywhere when there are none. Sorts a copy: the
 * samples are recorded in arrival order and may still be read afterwards.
 */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const rank = (q: number): number =>
    sorted.length === 0 ? Number.NaN : (sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number);
  return { count: sorted.length, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: rank(1) };
}

/** A latency rounded to 0.01 ms, for JSON (where NaN becomes null). */
export function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** The percentiles of a summary rounded to 0.01 ms, without the count, for JSON. */
export function rounded(s: LatencySummary): Omit<LatencySummary, 'count'> {
  return { p50: round2(s.p50), p90: round2(s.p90), p99: round2(s.p99), max: round2(s.max) };
}
