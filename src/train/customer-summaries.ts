/**
 * The per-customer summaries the probabilistic baselines are fitted on and score with, in days:
 * - purchases (BG/NBD, Gamma-Gamma), read from the engine's own features, so training and serving agree:
 *   x = purchase days - 1, tx = purchase_span_days, T = days_since_first_purchase, m_x = repeat_order_value;
 * - the customer's own activity (BG/NBD on activity days, the fair baseline of a `no_activity` label), tracked
 *   here from the replayed events: x = activity days - 1, tx = last - first activity, T = now - first activity.
 * Same-day events are one transaction (UTC days), as a BG/NBD specialist summarises transaction logs.
 */
import { DAY_MS } from '../state/windows.js';
import { FEATURE_COUNT, requireFeatureIndex } from '../state/feature-catalog.js';

/** Floats per customer of a purchase summary: x, tx, T, m_x. */
export const PURCHASE_STRIDE = 4;
/** Floats per customer of an activity summary: x, tx, T. */
export const ACTIVITY_STRIDE = 3;

const PURCHASE_DAYS = requireFeatureIndex('purchase_days_lifetime');
const PURCHASE_SPAN = requireFeatureIndex('purchase_span_days');
const SINCE_FIRST_PURCHASE = requireFeatureIndex('days_since_first_purchase');
const REPEAT_ORDER_VALUE = requireFeatureIndex('repeat_order_value');
const TENURE = requireFeatureIndex('tenure_days');

/**
 * Writes the purchase summary of the feature vector at `features[at..]` into `out[offset..]`. A customer who
 * never bought is scored as one acquired at its first event with no purchase since (x = 0, tx = 0, T = tenure)
 * and marked `buyer = false` by the caller's check {@link isBuyer}: fits leave it out.
 */
export function purchaseSummary(features: Float32Array, at: number, out: Float32Array, offset: number): void {
  const days = features[at + PURCHASE_DAYS]!;
  if (days >= 1) {
    const T = features[at + SINCE_FIRST_PURCHASE]!;
    out[offset] = days - 1;
    // Clamped: float32 features can put the last purchase a hair past the age.
    out[offset + 1] = Math.min(T, features[at + PURCHASE_SPAN]!);
    out[offset + 2] = T;
    out[offset + 3] = features[at + REPEAT_ORDER_VALUE]!;
  } else {
    out[offset] = -1; // marker: never bought
    out[offset + 1] = 0;
    out[offset + 2] = features[at + TENURE]!;
    out[offset + 3] = 0;
  }
}

/** True when a purchase summary (at `offset`) is of a customer who bought. */
export function isBuyer(summary: Float32Array, offset: number): boolean {
  return summary[offset]! >= 0;
}

/**
 * First and last own activity and distinct activity days per customer index. Events must come in event-time
 * order (the training sources sort history that is not): a day earlier than the latest one seen is not counted.
 */
export class ActivityDays {
  private first: Float64Array = new Float64Array(1024).fill(Infinity);
  private last: Float64Array = new Float64Array(1024).fill(-Infinity);
  private days: Float64Array = new Float64Array(1024);

  /** Records one own-activity event of customer `i` (events arrive in event-time order). */
  record(i: number, ts: number): void {
    if (i >= this.first.length) this.grow(i);
    const day = Math.floor(ts / DAY_MS);
    const lastDay = Math.floor(this.last[i]! / DAY_MS);
    if (this.days[i] === 0 || day > lastDay) this.days[i]!++;
    if (ts < this.first[i]!) this.first[i] = ts;
    if (ts > this.last[i]!) this.last[i] = ts;
  }

  /** Days from the latest own activity of `i` to `atMs` (Infinity when none). */
  recencyDays(i: number, atMs: number): number {
    return i < this.last.length && this.days[i]! > 0 ? (atMs - this.last[i]!) / DAY_MS : Infinity;
  }

  /** Writes x, tx, T (days) of customer `i` at `atMs` into `out[offset..]`; x = -1 without activity. */
  summary(i: number, atMs: number, out: Float32Array, offset: number): void {
    const n = i < this.days.length ? this.days[i]! : 0;
    if (n === 0) {
      out.fill(0, offset, offset + ACTIVITY_STRIDE);
      out[offset] = -1;
      return;
    }
    const first = this.first[i]!;
    out[offset] = n - 1;
    out[offset + 1] = n > 1 ? (this.last[i]! - first) / DAY_MS : 0;
    out[offset + 2] = Math.max(0, (atMs - first) / DAY_MS);
  }

  private grow(i: number): void {
    const size = Math.max(i + 1, this.first.length * 2);
    const copy = (a: Float64Array, fill: number): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(size).fill(fill);
      b.set(a);
      return b;
    };
    this.first = copy(this.first, Infinity);
    this.last = copy(this.last, -Infinity);
    this.days = copy(this.days, 0);
  }
}

/** Every known customer's summaries at one time (a cut-off, or the end of the history). */
export interface SummaryTable {
  readonly atMs: number;
  /** Customers 0..count-1 (indexes into the training set's customerIds). */
  readonly count: number;
  /** count × PURCHASE_STRIDE (see {@link purchaseSummary}). */
  readonly purchase: Float32Array;
  /** count × ACTIVITY_STRIDE (see {@link ActivityDays.summary}). */
  readonly activity: Float32Array;
}

/**
 * Summaries of customers 0..count-1 at `atMs`: `featuresOf(i, out)` writes customer i's feature vector at
 * `atMs` into `out` (returns false when the customer is not in the store any more).
 */
export function summaryTable(
  atMs: number,
  count: number,
  activity: ActivityDays,
  featuresOf: (i: number, out: Float32Array) => boolean,
): SummaryTable {
  const purchase = new Float32Array(count * PURCHASE_STRIDE);
  const act = new Float32Array(count * ACTIVITY_STRIDE);
  const vector = new Float32Array(FEATURE_COUNT);
  for (let i = 0; i < count; i++) {
    if (featuresOf(i, vector)) purchaseSummary(vector, 0, purchase, i * PURCHASE_STRIDE);
    else purchase[i * PURCHASE_STRIDE] = -1;
    activity.summary(i, atMs, act, i * ACTIVITY_STRIDE);
  }
  return { atMs, count, purchase, activity: act };
}
