/** The shapes of a training set: the label definition, the builder's options, and the rows it produces. */
import type { CutoffOptions } from './cutoff-plan.js';
import type { SummaryTable } from './customer-summaries.js';

/** What "churned" means for a label, as a model manifest states it. */
export interface ChurnDefinition {
  /** no_activity: no customer-initiated event; no_purchase: no purchase; cancel: an explicit cancel. */
  readonly kind: 'no_activity' | 'no_purchase' | 'cancel';
  /** Length of the look-ahead window after the cut-off, days. */
  readonly days: number;
}

/**
 * Event types that are not engagement: a brand's sends keep arriving at a customer who has left, and a cancel is
 * the customer leaving; neither counts as activity for the label nor for who is "active" at a cut-off.
 */
export const NOT_CUSTOMER_ACTIVITY: readonly string[] = ['message_sent', 'cancel'];

/** Options of {@link TrainingSetBuilder}; every field has a default. */
export interface TrainingSetOptions extends CutoffOptions {
  /** Seed of the customer split. @default 42 */
  readonly seed?: number;
  /** The label. @default { kind: 'no_activity', days: 30 } */
  readonly definition?: ChurnDefinition;
  /** A customer is a row at a cut-off when its last own activity lies within this many days before it. @default 30 */
  readonly activeWithinDays?: number;
  /** Share of customers held out for the test metrics. @default 0.2 */
  readonly testShare?: number;
  /** Share of customers used for early stopping. @default 0.1 */
  readonly validationShare?: number;
}

/** Rows of (features, label), split by customer. */
export interface TrainingSet {
  readonly rows: number;
  /** rows × FEATURE_COUNT feature values, in the engine's FEATURES order. */
  readonly x: Float32Array;
  /** 1 = churned under the definition, 0 = retained. */
  readonly y: Uint8Array;
  /** Each row's customer, an index into {@link customerIds}. */
  readonly customer: Int32Array;
  /** Customer ids in order of first appearance. */
  readonly customerIds: readonly string[];
  /** The cut-off of each row, epoch ms. */
  readonly cutoffMs: Float64Array;
  /** 0 train, 1 validation, 2 test; every row of one customer has the same split. */
  readonly split: Uint8Array;
  /** The split of each customer (index into {@link customerIds}), rows or not. */
  readonly customerSplit: Uint8Array;
  /** Each row's own-activity summary at its cut-off: rows × ACTIVITY_STRIDE (x, tx, T in days). */
  readonly rowActivity: Float32Array;
  /** Days from each row's latest own activity to its cut-off. */
  readonly ownRecencyDays: Float32Array;
  /** Every customer's summaries at each usable cut-off (in `window.cutoffsMs` order) and at the end. */
  readonly summaries: { readonly cutoffs: readonly SummaryTable[]; readonly end: SummaryTable };
  readonly definition: ChurnDefinition;
  /** Events applied to the store, and events it refused (older than its horizon). */
  readonly events: number;
  readonly refused: number;
  /** The store's refusals by reason (e.g. `too_old`: history out of event-time order). */
  readonly refusedByReason: Readonly<Record<string, number>>;
  /** Event time replayed: earliest and latest event (or the given window), epoch ms; the cut-offs used. */
  readonly window: { readonly fromMs: number; readonly toMs: number; readonly cutoffsMs: readonly number[] };
}
