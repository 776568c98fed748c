/**
 * Training data from the engine's own feature code: events replayed through the REAL CustomerStore in time
 * order, every active customer's feature vector taken at cut-off dates, each labelled from what the history
 * after the cut-off holds. No feature is re-implemented offline, so training and serving cannot skew.
 */
import type { DecodedEvent } from '../decode/types.js';
import { DAY_MS } from '../simulate/profiles.js';
import { createCustomerStore } from '../state/customer-store.js';
import type { CustomerStore } from '../state/types.js';
import { FEATURE_COUNT } from '../state/feature-catalog.js';
import { customerSplit } from './customer-split.js';
import { ACTIVITY_STRIDE, ActivityDays, summaryTable, type SummaryTable } from './customer-summaries.js';
import { CutoffPlan } from './cutoff-plan.js';
import {
  NOT_CUSTOMER_ACTIVITY,
  type ChurnDefinition,
  type TrainingSet,
  type TrainingSetOptions,
} from './training-set-types.js';

export { NOT_CUSTOMER_ACTIVITY } from './training-set-types.js';
export type { ChurnDefinition, TrainingSet, TrainingSetOptions } from './training-set-types.js';

/**
 * Builds a training set from events pushed in (roughly) time order: {@link push} batches, then {@link finish}.
 * A cut-off's rows are taken when the first event at or after it arrives, so an event later than that counts
 * for the label only, as it would have online. Labels are order-independent: an event marks every cut-off
 * whose look-ahead window holds its time.
 */
export class TrainingSetBuilder {
  private readonly store: CustomerStore = createCustomerStore({ initialCapacity: 4096 });
  private readonly plan: CutoffPlan;
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly activity = new ActivityDays();
  private readonly tables = new Map<number, SummaryTable>();
  /** Per cut-off, per customer: 1 when the labelled thing happened in its look-ahead window. */
  private readonly hits: Uint8Array[] = [];
  private x = new Float32Array(4096 * FEATURE_COUNT);
  private customer = new Int32Array(4096);
  private rowActivity = new Float32Array(4096 * ACTIVITY_STRIDE);
  private ownRecency = new Float32Array(4096);
  private cutoffOf = new Int32Array(4096);
  private rows = 0;
  private next = 0;
  private events = 0;
  private refused = 0;
  private readonly refusedByReason: Record<string, number> = {};
  private minTs = Infinity;
  private maxTs = -Infinity;
  private pending: DecodedEvent[] = [];
  private readonly def: ChurnDefinition;
  private readonly labelType: string | undefined;
  private readonly horizonMs: number;
  private readonly activeMs: number;

  /** `window`, when known up front (the simulator), fixes the cut-offs and checks explicit ones fit. */
  constructor(
    private readonly opts: TrainingSetOptions = {},
    window?: { readonly startMs: number; readonly endMs: number },
  ) {
    this.def = opts.definition ?? { kind: 'no_activity', days: 30 };
    this.horizonMs = this.def.days * DAY_MS;
    this.activeMs = (opts.activeWithinDays ?? 30) * DAY_MS;
    this.labelType =
      this.def.kind === 'cancel' ? 'cancel' : this.def.kind === 'no_purchase' ? 'purchase' : undefined;
    this.plan = new CutoffPlan(opts, this.def.days, window);
  }

  /** Replays one batch of valid events. */
  push(batch: readonly DecodedEvent[]): void {
    for (let k = 0; k < batch.length; k++) {
      const d = batch[k]!;
      const ts = d.event.ts;
      if (ts < this.minTs) this.minTs = ts;
      if (ts > this.maxTs) this.maxTs = ts;
      this.plan.extendTo(ts);
      // A cut-off's rows see exactly the events pushed before the first event at or after it.
      while (this.next < this.plan.cutoffs.length && this.plan.cutoffs[this.next]! <= ts) {
        this.snapshot(this.next++);
      }
      this.pending.push(d);
      this.track(d.event.customerId, d.event.type, ts);
    }
    this.flush();
  }

  /** Takes the remaining cut-offs, labels and splits. `endMs`: end of the history (default: latest event). */
  finish(endMs?: number): TrainingSet {
    this.flush();
    const end = endMs ?? this.plan.endMs ?? this.maxTs;
    while (this.next < this.plan.cutoffs.length && this.plan.cutoffs[this.next]! + this.horizonMs <= end) {
      this.snapshot(this.next++);
    }
    // Only cut-offs with their whole look-ahead window inside the history make rows.
    const usable = this.plan.cutoffs.map((c, k) => k < this.next && c + this.horizonMs <= end);
    const seed = this.opts.seed ?? 42;
    const testShare = this.opts.testShare ?? 0.2;
    const valShare = this.opts.validationShare ?? 0.1;
    const splitOf = Uint8Array.from(this.ids, (id) => customerSplit(id, seed, testShare, valShare));
    const keep: number[] = [];
    for (let r = 0; r < this.rows; r++) if (usable[this.cutoffOf[r]!]) keep.push(r);
    const n = keep.length;
    const x = new Float32Array(n * FEATURE_COUNT);
    const y = new Uint8Array(n);
    const customer = new Int32Array(n);
    const cutoffMs = new Float64Array(n);
    const split = new Uint8Array(n);
    const rowActivity = new Float32Array(n * ACTIVITY_STRIDE);
    const ownRecencyDays = new Float32Array(n);
    for (let t = 0; t < n; t++) {
      const r = keep[t]!;
      const k = this.cutoffOf[r]!;
      const i = this.customer[r]!;
      x.set(this.x.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), t * FEATURE_COUNT);
      rowActivity.set(
        this.rowActivity.subarray(r * ACTIVITY_STRIDE, (r + 1) * ACTIVITY_STRIDE),
        t * ACTIVITY_STRIDE,
      );
      ownRecencyDays[t] = this.ownRecency[r]!;
      const happened = this.hits[k]?.[i] === 1;
      // no_activity / no_purchase: churned when nothing happened; cancel: churned when the cancel happened.
      y[t] = (this.labelType === 'cancel' ? happened : !happened) ? 1 : 0;
      customer[t] = i;
      cutoffMs[t] = this.plan.cutoffs[k]!;
      split[t] = splitOf[i]!;
    }
    const from = this.plan.startMs ?? this.minTs;
    const cutoffsMs = this.plan.cutoffs.filter((_, k) => usable[k]);
    const endAt = Number.isFinite(end) ? end : 0;
    this.store.advanceTo(endAt);
    return {
      rows: n,
      x,
      y,
      customer,
      customerIds: this.ids,
      cutoffMs,
      split,
      customerSplit: splitOf,
      rowActivity,
      ownRecencyDays,
      summaries: { cutoffs: cutoffsMs.map((c) => this.tables.get(c)!), end: this.table(endAt) },
      definition: this.def,
      events: this.events,
      refused: this.refused,
      refusedByReason: { ...this.refusedByReason },
      window: {
        fromMs: Number.isFinite(from) ? from : 0,
        toMs: Number.isFinite(end) ? end : 0,
        cutoffsMs,
      },
    };
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const result = this.store.apply(this.pending);
    this.events += result.applied;
    this.refused += result.rejected.length;
    for (const r of result.rejected)
      this.refusedByReason[r.reason] = (this.refusedByReason[r.reason] ?? 0) + 1;
    this.pending = [];
  }

  private snapshot(k: number): void {
    this.flush();
    const cut = this.plan.cutoffs[k]!;
    this.store.advanceTo(cut);
    const activeDays = this.activeMs / DAY_MS;
    for (let i = 0; i < this.ids.length; i++) {
      const recency = this.activity.recencyDays(i, cut);
      if (!(recency <= activeDays)) continue;
      const slot = this.store.slotOf(this.ids[i]!);
      if (slot === undefined) continue;
      if (this.rows === this.customer.length) this.growRows();
      this.store.features(slot, cut, this.x, this.rows * FEATURE_COUNT);
      this.activity.summary(i, cut, this.rowActivity, this.rows * ACTIVITY_STRIDE);
      this.ownRecency[this.rows] = recency;
      this.customer[this.rows] = i;
      this.cutoffOf[this.rows++] = k;
    }
    this.tables.set(cut, this.table(cut));
  }

  /** Every known customer's summaries at `atMs` (the store must be at `atMs`). */
  private table(atMs: number): SummaryTable {
    return summaryTable(atMs, this.ids.length, this.activity, (i, out) => {
      const slot = this.store.slotOf(this.ids[i]!);
      if (slot === undefined) return false;
      this.store.features(slot, atMs, out, 0);
      return true;
    });
  }

  /** Activity and label bookkeeping of one event. */
  private track(customerId: string, type: string, ts: number): void {
    let i = this.index.get(customerId);
    if (i === undefined) {
      i = this.ids.length;
      this.index.set(customerId, i);
      this.ids.push(customerId);
    }
    const own = !NOT_CUSTOMER_ACTIVITY.includes(type);
    if (own) this.activity.record(i, ts);
    if (this.labelType === undefined ? !own : type !== this.labelType) return;
    const cuts = this.plan.cutoffs;
    // Cut-offs ascend: walk down from the latest to those whose window [cut, cut + horizon) holds ts.
    for (let k = cuts.length - 1; k >= 0; k--) {
      const c = cuts[k]!;
      if (c > ts) continue;
      if (ts >= c + this.horizonMs) break;
      while (this.hits.length <= k) this.hits.push(new Uint8Array(1024));
      if (this.hits[k]!.length <= i)
        this.hits[k] = grow(this.hits[k]!, 0, Math.max(i + 1, this.ids.length * 2));
      this.hits[k]![i] = 1;
    }
  }

  private growRows(): void {
    this.x = grow(this.x, 0, this.x.length * 2);
    this.customer = grow(this.customer, 0);
    this.rowActivity = grow(this.rowActivity, 0);
    this.ownRecency = grow(this.ownRecency, 0);
    this.cutoffOf = grow(this.cutoffOf, 0);
  }
}

/** A copy of `a` with room for `size` (default twice as many) elements, the new ones set to `fill`. */
function grow<T extends Float64Array | Float32Array | Int32Array | Uint8Array>(
  a: T,
  fill: number,
  size = a.length * 2,
): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, a.length));
  b.set(a);
  b.fill(fill, a.length);
  return b;
}
