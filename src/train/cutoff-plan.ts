/**
 * Where the feature snapshots of a training set are taken: explicit days after the start of the history, or
 * every N days after a warm-up. When the history's extent is not known up front (an event file, a stream
 * range), the start is the UTC midnight before the first event and cut-offs are added as event time reaches
 * them; the training set keeps only those whose look-ahead window the history covers.
 */
import { DAY_MS } from '../simulate/profiles.js';

/** How cut-offs are placed. */
export interface CutoffOptions {
  /** Explicit cut-offs, days after the start of the history; overrides the every/warm-up plan. */
  readonly cutoffDays?: readonly number[];
  /** Days between two cut-offs. @default 15 */
  readonly cutoffEveryDays?: number;
  /** History before the first cut-off, days (features need some past to mean anything). @default 60 */
  readonly warmupDays?: number;
}

/** The cut-offs of one replay, epoch ms, ascending. */
export class CutoffPlan {
  /** Cut-offs placed so far, ascending. */
  readonly cutoffs: number[] = [];
  /** Start of the history (epoch ms), once known. */
  startMs: number | undefined;
  /** End of the history when known up front. */
  readonly endMs: number | undefined;
  private readonly everyMs: number;
  private readonly warmupMs: number;
  private readonly explicit: readonly number[] | undefined;
  /** Event time up to which cut-offs have been placed (lazy plans only). */
  private placedTo = -Infinity;

  /**
   * @param horizonDays the label's look-ahead window: with a known `window`, explicit cut-offs without that
   *   much future are refused.
   * @throws RangeError on a non-positive interval or an explicit cut-off outside a known window.
   */
  constructor(
    opts: CutoffOptions,
    horizonDays: number,
    window?: { readonly startMs: number; readonly endMs: number },
  ) {
    const every = opts.cutoffEveryDays ?? 15;
    if (!(every > 0)) throw new RangeError(`cut-off interval must be > 0 days, got ${every}`);
    this.everyMs = every * DAY_MS;
    this.warmupMs = Math.max(0, opts.warmupDays ?? 60) * DAY_MS;
    this.explicit = opts.cutoffDays === undefined ? undefined : [...opts.cutoffDays].sort((a, b) => a - b);
    this.endMs = window?.endMs;
    if (window === undefined) return;
    const days = (window.endMs - window.startMs) / DAY_MS;
    for (const d of this.explicit ?? []) {
      if (!(d > 0 && d + horizonDays <= days)) {
        throw new RangeError(`cut-off day ${d} needs ${horizonDays} days of future within ${days} days`);
      }
    }
    this.begin(window.startMs);
    this.extendTo(window.endMs - horizonDays * DAY_MS);
    this.placedTo = Infinity; // a known window's cut-offs are all placed: none past its end
  }

  /** Places every cut-off at or before `ts` (the first call fixes the start, for lazy plans). */
  extendTo(ts: number): void {
    if (ts <= this.placedTo) return;
    if (this.startMs === undefined) this.begin(Math.floor(ts / DAY_MS) * DAY_MS);
    if (this.explicit !== undefined) return;
    const start = this.startMs!;
    let next = this.cutoffs.length === 0 ? start + this.warmupMs : this.cutoffs.at(-1)! + this.everyMs;
    if (next <= start) next += this.everyMs; // a cut-off needs at least some history before it
    for (; next <= ts; next += this.everyMs) this.cutoffs.push(next);
    // Cheap early exit for the (per-event) caller: nothing to do until event time passes the next one.
    this.placedTo = next - 1;
  }

  private begin(startMs: number): void {
    this.startMs = startMs;
    if (this.explicit !== undefined) {
      for (const d of this.explicit) this.cutoffs.push(startMs + d * DAY_MS);
      this.placedTo = Infinity;
    }
  }
}
