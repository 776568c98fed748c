/**
 * Training data from the engine's own feature code: replay simulator history through the REAL CustomerStore in
 * time order, take every active customer's feature vector at cut-off dates, and label it from what the
 * simulated future holds. No feature is re-implemented offline, so training and serving cannot skew.
 */
import type { CustomerEvent } from '../contract/event.js';
import type { DecodedEvent } from '../decode/types.js';
import { createSimulator, type Simulator } from '../simulate/simulator.js';
import { mixSeed } from '../simulate/prng.js';
import { DAY_MS } from '../simulate/profiles.js';
import { createCustomerStore } from '../state/customer-store.js';
import { FEATURE_COUNT } from '../state/feature-catalog.js';

/** What "churned" means for a label, as a model manifest states it. */
export interface ChurnDefinition {
  /** no_activity: no customer-initiated event; no_purchase: no purchase; cancel: an explicit cancel. */
  readonly kind: 'no_activity' | 'no_purchase' | 'cancel';
  /** Length of the look-ahead window after the cut-off, days. */
  readonly days: number;
}

/**
 * Event types that are not the customer's doing: a brand's sends keep arriving at a customer who has left,
 * so they count neither as activity for the label nor for who is "active" at a cut-off.
 */
export const NOT_CUSTOMER_ACTIVITY: readonly string[] = ['message_sent'];

/** Options of {@link buildTrainingSet}; every field has a default. */
export interface TrainingSetOptions {
  /** Simulated customers. @default 5000 */
  readonly customers?: number;
  /** Simulated days of history replayed. @default 180 */
  readonly days?: number;
  /** Seed of the simulator and of the split. @default 42 */
  readonly seed?: number;
  /** Start of simulated time, epoch ms. @default 2025-01-01T00:00:00Z */
  readonly startMs?: number;
  /** A simulator to replay instead of creating one from customers/seed/startMs. */
  readonly simulator?: Simulator;
  /** Cut-offs, in days after the start; each needs `definition.days` of future inside `days`. @default 60..150 step 15 */
  readonly cutoffDays?: readonly number[];
  /** The label. @default { kind: 'no_activity', days: 30 } */
  readonly definition?: ChurnDefinition;
  /** A customer is a row at a cut-off when its last own activity lies within this many days before it. @default 30 */
  readonly activeWithinDays?: number;
  /** Share of customers held out for the test metrics. @default 0.2 */
  readonly testShare?: number;
  /** Share of customers used for early stopping. @default 0.1 */
  readonly validationShare?: number;
  /** Called after each replayed day (for progress on stderr). */
  readonly onDay?: (day: number, days: number, events: number) => void;
}

/** Rows of (features, label), split by customer. */
export interface TrainingSet {
  readonly rows: number;
  /** rows × FEATURE_COUNT feature values, in the engine's FEATURES order. */
  readonly x: Float32Array;
  /** 1 = churned under the definition, 0 = retained. */
  readonly y: Uint8Array;
  /** The simulator's customer number of each row. */
  readonly customer: Int32Array;
  /** The cut-off of each row, epoch ms. */
  readonly cutoffMs: Float64Array;
  /** 0 train, 1 validation, 2 test; every row of one customer has the same split. */
  readonly split: Uint8Array;
  readonly definition: ChurnDefinition;
  /** Events applied to the store. */
  readonly events: number;
}

/** Split code of a training row. */
export const SPLIT_TRAIN = 0;
/** Split code of an early-stopping row. */
export const SPLIT_VALIDATION = 1;
/** Split code of a held-out row. */
export const SPLIT_TEST = 2;

const EMPTY = new Uint8Array(0);

/** Replays history and builds the training set (see the module comment). Throws RangeError on bad options. */
export function buildTrainingSet(opts: TrainingSetOptions = {}): TrainingSet {
  const seed = opts.seed ?? 42;
  const startMs = opts.simulator?.startMs ?? opts.startMs ?? Date.UTC(2025, 0, 1);
  const sim = opts.simulator ?? createSimulator({ customers: opts.customers ?? 5000, seed, startMs });
  const n = sim.customers;
  const days = opts.days ?? 180;
  const def = opts.definition ?? { kind: 'no_activity', days: 30 };
  const cutoffDays = opts.cutoffDays ?? [60, 75, 90, 105, 120, 135, 150];
  for (const d of cutoffDays) {
    if (!(d > 0 && d + def.days <= days)) {
      throw new RangeError(`cut-off day ${d} needs ${def.days} days of future within ${days} simulated days`);
    }
  }
  const cutoffs = [...cutoffDays].sort((a, b) => a - b).map((d) => startMs + d * DAY_MS);
  const activeMs = (opts.activeWithinDays ?? 30) * DAY_MS;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(sim.customerId(i), i);

  const store = createCustomerStore({ initialCapacity: n });
  const lastOwn = new Float64Array(n).fill(-Infinity);
  // Per cut-off, the first time each customer did the labelled thing at or after it (Infinity = never).
  const firstAfter = cutoffs.map(() => new Float64Array(n).fill(Infinity));
  const labelType = def.kind === 'cancel' ? 'cancel' : def.kind === 'no_purchase' ? 'purchase' : undefined;
  const cap = n * cutoffs.length;
  const x = new Float32Array(cap * FEATURE_COUNT);
  const customer = new Int32Array(cap);
  const cutoffOf = new Int32Array(cap);
  let rows = 0;
  let next = 0; // next cut-off to snapshot
  let events = 0;

  const snapshot = (k: number): void => {
    const cut = cutoffs[k]!;
    store.advanceTo(cut);
    for (let i = 0; i < n; i++) {
      if (!(lastOwn[i]! >= cut - activeMs)) continue;
      const slot = store.slotOf(sim.customerId(i));
      if (slot === undefined) continue;
      store.features(slot, cut, x, rows * FEATURE_COUNT);
      customer[rows] = i;
      cutoffOf[rows++] = k;
    }
  };

  let day = 0;
  for (const batch of sim.batchesBetween(startMs, startMs + days * DAY_MS, DAY_MS)) {
    const first = batch[0]!.ts;
    while (next < cutoffs.length && cutoffs[next]! <= first) snapshot(next++);
    store.apply(batch.map(decoded));
    for (const ev of batch) {
      const i = index.get(ev.customerId)!;
      const own = !NOT_CUSTOMER_ACTIVITY.includes(ev.type);
      if (own) lastOwn[i] = ev.ts;
      if (labelType === undefined ? !own : ev.type !== labelType) continue;
      // Events come sorted, so the first one seen after a cut-off is the earliest.
      for (let k = 0; k < next; k++) if (firstAfter[k]![i] === Infinity) firstAfter[k]![i] = ev.ts;
    }
    events += batch.length;
    day = Math.floor((first - startMs) / DAY_MS) + 1;
    opts.onDay?.(day, days, events);
  }
  while (next < cutoffs.length) snapshot(next++);

  const y = new Uint8Array(rows);
  const cutoffMs = new Float64Array(rows);
  const split = new Uint8Array(rows);
  const testShare = opts.testShare ?? 0.2;
  const valShare = opts.validationShare ?? 0.1;
  const horizonMs = def.days * DAY_MS;
  for (let r = 0; r < rows; r++) {
    const k = cutoffOf[r]!;
    const i = customer[r]!;
    const cut = cutoffs[k]!;
    cutoffMs[r] = cut;
    const happened = firstAfter[k]![i]! < cut + horizonMs;
    // no_activity / no_purchase: churned when nothing happened; cancel: churned when the cancel happened.
    y[r] = (labelType === 'cancel' ? happened : !happened) ? 1 : 0;
    const u = mixSeed(seed, i, 0x5711) / 4294967296;
    split[r] = u < testShare ? SPLIT_TEST : u < testShare + valShare ? SPLIT_VALIDATION : SPLIT_TRAIN;
  }
  return {
    rows,
    x: x.slice(0, rows * FEATURE_COUNT),
    y,
    customer: customer.slice(0, rows),
    cutoffMs,
    split,
    definition: def,
    events,
  };
}

function decoded(event: CustomerEvent): DecodedEvent {
  // streamSeq 0 marks an unsequenced source: the store then applies every event (no redelivery check).
  return { event, subject: '', data: EMPTY, streamSeq: 0, publishedAtMs: event.ts };
}
