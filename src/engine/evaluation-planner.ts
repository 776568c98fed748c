import { STAGE_THRESHOLDS } from '../score/index.js';
import { recencyThresholds, type SegmentRuleSet } from '../segment/index.js';
import { createDeadlineScheduler, nextDeadline, type DeadlineThreshold } from '../segment/timers.js';
import type { CustomerStore } from '../state/types.js';
import { EVICT, type RowBuffer } from './evaluation-rows.js';
import type { StateReader, StateWriter } from '../snapshot/state-io.js';

/** Stage rules that flip with silence alone, as thresholds on recency features. */
const STAGE_DEADLINES: readonly DeadlineThreshold[] = [
  { feature: 'days_since_last_activity', days: STAGE_THRESHOLDS.lapsedInactiveDays },
  { feature: 'days_since_last_activity', days: STAGE_THRESHOLDS.churnedInactiveDays },
  { feature: 'days_since_last_purchase', days: STAGE_THRESHOLDS.lapsedNoPurchaseDays },
];

/**
 * Decides WHEN each customer is evaluated, from the stream alone, so the same stream gives the same evaluations
 * however it is cut into pulls, micro-batches and restarts:
 * - after each of its events, at the timer clock (max event time and clock tick seen so far);
 * - at each of its timer deadlines (a rule threshold on a recency feature, a window boundary, or at most
 *   `rescoreIntervalMs` after its last evaluation), fired when the clock reaches it — before the event that moved
 *   the clock is applied, so a customer's timer and its own next event are always in the same order.
 * Each evaluation becomes a row in the {@link RowBuffer} with the customer's features at that moment; the model,
 * stage and segments are computed later, in row order.
 */
export interface EvaluationPlanner {
  /** The timer clock: max event time applied and clock tick seen, epoch ms. Never goes backwards. */
  readonly clockMs: number;
  /**
   * Moves the clock to `toMs` (if later) and evaluates the customers whose deadline it reached, in order, at most
   * `maxRows` of them: returns false when some are left, and the caller calls again (with the same `toMs`) once
   * the rows were scored. A clock that jumps a long way (an engine back after a day down) thus never makes
   * millions of rows in one go.
   */
  advance(toMs: number, maxRows?: number): boolean;
  /** The customer in `slot` just had an event applied: evaluate it now and arm its next deadline. */
  onEvent(slot: number, sinceMs: number): void;
  /** Evaluates these customers now (rules changed); their deadlines are re-armed. */
  recheck(slots: readonly number[]): void;
  /** New rules: their recency thresholds arm deadlines from the next evaluation on. */
  setRules(rules: SegmentRuleSet): void;
  /** Drops a customer's deadline (erase). */
  forget(slot: number): void;
  /** The earliest pending deadline, Infinity when none (an idle engine ticks the clock to it). */
  earliestDeadline(): number;
  /** Writes the clock and the deadlines of slots `from` to `to` for a snapshot. */
  saveState(w: StateWriter, from: number, to: number): void;
  /** Takes a snapshot's clock and deadlines. */
  loadState(r: StateReader): void;
  readonly pendingTimers: number;
}

/** Dependencies of {@link createEvaluationPlanner}. */
export interface EvaluationPlannerDeps {
  readonly store: CustomerStore;
  readonly rows: RowBuffer;
  readonly rules: SegmentRuleSet;
  /** Every customer is evaluated at least this often in event time (ms). */
  readonly rescoreIntervalMs: number;
  /** A customer silent this long (event time, ms) is evicted at that moment; 0: never. @default 0 */
  readonly retentionMs?: number;
  /**
   * Told when a customer is evicted, right after its eviction row is queued (the engine takes it out of the store:
   * a later event of the same id starts a new customer).
   */
  readonly onEvict?: (slot: number) => void;
}

/** Creates the {@link EvaluationPlanner}. */
export function createEvaluationPlanner(deps: EvaluationPlannerDeps): EvaluationPlanner {
  const { store, rows } = deps;
  const deadlines = createDeadlineScheduler();
  let thresholds = [...STAGE_DEADLINES, ...recencyThresholds(deps.rules)];
  let clock = 0;
  // Due customers not yet evaluated (a bounded advance stopped in the middle of them), and where it stopped.
  let due: number[] = [];
  let dueAt: number[] = [];
  let next = 0;

  const retentionMs = deps.retentionMs ?? 0;
  /** When the customer in `slot` will have been silent for the retention period (Infinity: never evicted). */
  const evictionAt = (slot: number): number =>
    retentionMs > 0 ? store.lastEventMs(slot) + retentionMs : Number.POSITIVE_INFINITY;

  /** One evaluation: a row with the features at `atMs`, and the next deadline from those features. */
  const evaluate = (slot: number, atMs: number, sinceMs: number): void => {
    const offset = rows.push(slot, atMs, sinceMs);
    const features = rows.features;
    store.features(slot, atMs, features, offset);
    const next = nextDeadline(features, offset, atMs, thresholds);
    deadlines.schedule(slot, Math.min(next, atMs + deps.rescoreIntervalMs, evictionAt(slot)));
  };

  return {
    get clockMs() {
      return clock;
    },
    get pendingTimers() {
      return deadlines.size;
    },
    advance(toMs, maxRows = Number.POSITIVE_INFINITY) {
      if (toMs > clock) {
        clock = toMs;
        rows.clockMs = clock;
      }
      // A timer row re-arms the customer's next deadline, which may be due too: loop until none is. Deadlines
      // grow strictly, so this ends; each customer's rows stay in deadline order.
      for (let made = 0; ;) {
        if (next === due.length) {
          dueAt = [];
          due = deadlines.due(clock, dueAt);
          next = 0;
          if (due.length === 0) return true;
        }
        for (; next < due.length; next++) {
          if (made >= maxRows) return false;
          const slot = due[next]!;
          if (!store.isLive(slot)) continue;
          const at = dueAt[next]!;
          if (at >= evictionAt(slot)) {
            // Silent for the whole retention period: its last row, then it leaves the store.
            rows.push(slot, at, Number.NaN, EVICT);
            deps.onEvict?.(slot);
          } else evaluate(slot, at, Number.NaN);
          made++;
        }
      }
    },
    onEvent(slot, sinceMs) {
      evaluate(slot, clock, sinceMs);
    },
    recheck(slots) {
      for (const slot of slots) if (store.isLive(slot)) evaluate(slot, clock, Number.NaN);
    },
    setRules(rules) {
      thresholds = [...STAGE_DEADLINES, ...recencyThresholds(rules)];
    },
    forget(slot) {
      deadlines.cancel(slot);
    },
    earliestDeadline: () => deadlines.earliest(),
    saveState(w, from, to) {
      w.value('clock', clock);
      w.array('deadlines', deadlines.saveDeadlines(from, to));
    },
    loadState(r) {
      clock = Number(r.value('clock'));
      rows.clockMs = clock;
      deadlines.loadDeadlines(r.array('deadlines', Float64Array));
    },
  };
}
