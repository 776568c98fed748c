import { Observable, interval, type SchedulerLike } from 'rxjs';
import type { IngestTotals } from './apply-stage.js';

/** Options of {@link idleTicker}. */
export interface IdleTickerOptions {
  /** Quiet time (no message at all) after which the engine ticks its clock forward (ms). */
  readonly idleAfterMs: number;
  /** How far behind the wall clock a tick stays, leaving room for slightly late events (ms). */
  readonly tickLagMs: number;
  /** Check period (default 250 ms). */
  readonly checkEveryMs?: number;
  readonly clock: () => number;
  readonly scheduler?: SchedulerLike;
}

/** What the ticker reads and drives. */
export interface IdleTickerDeps {
  readonly totals: IngestTotals;
  /** The timer clock now (epoch ms). */
  readonly clockMs: () => number;
  /** The earliest moment a timer or a dwell end is due (Infinity: none). */
  readonly nextDueMs: () => number;
  /** True while the engine still works on what it read (then the stream is not idle, however long it takes). */
  readonly busy: () => boolean;
  /**
   * Moves the clock to `atMs` by writing a clock tick INTO the stream: the engine moves when it reads it back, so a
   * replay of the stream fires the same timers at the same place. Resolves to false when it wrote none (messages
   * still wait in the stream: the engine is not idle, only slow to receive them).
   */
  readonly tick: (atMs: number) => Promise<boolean>;
}

/**
 * Keeps silent customers' timers firing when the stream is quiet: every `checkEveryMs`, when no message arrived for
 * `idleAfterMs` and a timer or a dwell end is due by `wall clock - tickLagMs`, it ticks the clock there. One tick is
 * in flight at a time. Emits after every check (the engine also steps its aggregates then).
 */
export function idleTicker(deps: IdleTickerDeps, opts: IdleTickerOptions): Observable<number> {
  const check = createIdleCheck(deps, opts);
  return new Observable<number>((subscriber) =>
    interval(opts.checkEveryMs ?? 250, opts.scheduler).subscribe(() => {
      check();
      subscriber.next(opts.clock());
    }),
  );
}

/** One check of {@link idleTicker}; exported for tests on virtual time. */
export function createIdleCheck(deps: IdleTickerDeps, opts: IdleTickerOptions): () => void {
  let inFlightTo = 0;
  let sentAtWall = 0;
  return () => {
    const now = opts.clock();
    // A tick sent but not yet read back (or lost): wait for it, but not forever.
    if (deps.clockMs() < inFlightTo && now - sentAtWall < 5 * opts.idleAfterMs) return;
    if (deps.busy()) return;
    if (now - Math.max(deps.totals.lastMessageWallMs, sentAtWall) < opts.idleAfterMs) return;
    const to = Math.floor(now - opts.tickLagMs);
    if (!(deps.nextDueMs() <= to) || to <= deps.clockMs()) return;
    inFlightTo = to;
    sentAtWall = now;
    // Not written (the stream is not drained) or failed: retried at a later check; it never stops the engine.
    deps.tick(to).then(
      (written) => {
        if (!written) inFlightTo = 0;
      },
      () => (inFlightTo = 0),
    );
  };
}
