import { DAY_MS } from '../state/windows.js';
import { FEATURE_COUNT, requireFeatureIndex } from '../state/feature-catalog.js';
import type { CustomerStore } from '../state/types.js';
import type { ScoreChanges } from '../publish/index.js';
import { STAGES } from '../score/types.js';
import type { EngineMetrics } from '../metrics/index.js';
import type { CustomerLifecycle } from './customer-lifecycle.js';

const TENURE = requireFeatureIndex('tenure_days');
const SINCE_ACTIVITY = requireFeatureIndex('days_since_last_activity');
const CANCELLED = requireFeatureIndex('cancelled');
const REVENUE = requireFeatureIndex('revenue_lifetime');
const POINTS = requireFeatureIndex('loyalty_points');

/** Risk bands of the distribution, by lower bound. */
export const RISK_BANDS = ['0.0-0.2', '0.2-0.4', '0.4-0.6', '0.6-0.8', '0.8-1.0'] as const;

/** Population figures retention teams track, from one full pass over every customer. */
export interface Aggregates {
  /** Event time the pass ended at (epoch ms); 0 before the first pass completes. */
  readonly asOfMs: number;
  /** Full passes completed (the first that saw a customer counts first); 0: none yet, every figure below is a
   * placeholder (answer "not ready", not zeros). */
  readonly passes: number;
  readonly customers: number;
  /** (CE − CN) / CS × 100 over the last `retentionPeriodDays`; NaN when there was nobody at the start. */
  readonly retentionRate: number;
  readonly retention: { readonly start: number; readonly end: number; readonly acquired: number };
  /** Mean historical customer lifetime value: purchase revenue ever, per customer. */
  readonly averageClv: number;
  /** Loyalty points outstanding, summed over customers (1 per currency unit spent, less redemptions). */
  readonly loyaltyPointsOutstanding: number;
  /** Customers by last published stage. */
  readonly stages: Readonly<Record<string, number>>;
  /** Customers by last published churn-risk band. */
  readonly risk: Readonly<Record<(typeof RISK_BANDS)[number], number>>;
}

/** Options of {@link createAggregator}. */
export interface AggregatorOptions {
  /** Period of the retention rate, days. */
  readonly retentionPeriodDays: number;
  /** A customer counts as churned after this many days without activity (or after a cancel). */
  readonly churnAfterDays: number;
}

/** Computes {@link Aggregates} incrementally, a slice of customers per step, so a million never blocks the loop. */
export interface Aggregator {
  /** Processes up to `maxSlots` customers at event time `nowMs`; a completed pass replaces `current()`. */
  step(nowMs: number, maxSlots: number): void;
  current(): Aggregates;
}

/**
 * Definitions: a customer exists from its first event; it is a customer at time t when it existed and had
 * activity within `churnAfterDays` before t and no cancel. CS = customers at the period start, CE = at its end,
 * CN = customers acquired during the period that are still customers at its end.
 */
export function createAggregator(
  store: CustomerStore,
  published: ScoreChanges,
  opts: AggregatorOptions,
): Aggregator {
  const row = new Float32Array(FEATURE_COUNT);
  let cursor = 0;
  let acc = fresh();
  let passes = 0;
  let done: Aggregates = finish(acc, 0, passes);
  return {
    current: () => done,
    step(nowMs, maxSlots) {
      const end = store.slotEnd;
      const periodStart = nowMs - opts.retentionPeriodDays * DAY_MS;
      const churnMs = opts.churnAfterDays * DAY_MS;
      for (let n = 0; n < maxSlots && cursor < end; n++, cursor++) {
        if (!store.isLive(cursor)) continue;
        store.features(cursor, nowMs, row, 0);
        const firstMs = nowMs - (row[TENURE] as number) * DAY_MS;
        const lastMs = nowMs - (row[SINCE_ACTIVITY] as number) * DAY_MS;
        const cancelled = row[CANCELLED] === 1;
        const alive = !cancelled && nowMs - lastMs <= churnMs;
        acc.customers++;
        // At the period start the customer existed and had been active within the churn window before it.
        if (firstMs < periodStart && lastMs >= periodStart - churnMs) acc.start++;
        if (alive) acc.end++;
        if (alive && firstMs >= periodStart) acc.acquired++;
        acc.revenue += row[REVENUE] as number;
        acc.points += Math.max(0, row[POINTS] as number);
        const stage = published.stage(cursor);
        if (stage >= 0) acc.stages[stage] = (acc.stages[stage] as number) + 1;
        const risk = published.risk(cursor);
        if (!Number.isNaN(risk)) {
          const band = Math.min(4, Math.floor(risk * 5));
          acc.risk[band] = (acc.risk[band] as number) + 1;
        }
      }
      if (cursor >= end) {
        // A pass over no customer at all (a fresh engine) is no answer: aggregates stay "not ready" until one
        // pass has seen customers; after that, every completed pass counts, even an empty one.
        if (acc.customers > 0 || passes > 0) done = finish(acc, nowMs, ++passes);
        acc = fresh();
        cursor = 0;
      }
    },
  };
}

function fresh() {
  return {
    customers: 0,
    start: 0,
    end: 0,
    acquired: 0,
    revenue: 0,
    points: 0,
    stages: new Array<number>(STAGES.length).fill(0),
    risk: [0, 0, 0, 0, 0],
  };
}

function finish(a: ReturnType<typeof fresh>, asOfMs: number, passes: number): Aggregates {
  return {
    asOfMs,
    passes,
    customers: a.customers,
    retentionRate: a.start === 0 ? Number.NaN : ((a.end - a.acquired) / a.start) * 100,
    retention: { start: a.start, end: a.end, acquired: a.acquired },
    averageClv: a.customers === 0 ? 0 : a.revenue / a.customers,
    loyaltyPointsOutstanding: a.points,
    stages: Object.fromEntries(STAGES.map((s, i) => [s, a.stages[i] as number])),
    risk: Object.fromEntries(RISK_BANDS.map((b, i) => [b, a.risk[i] as number])) as Aggregates['risk'],
  };
}

/** Live aggregates as gauges, after each completed pass (segment sizes are kept live by the membership). */
export function exportAggregates(a: Aggregates, lifecycle: CustomerLifecycle, metrics: EngineMetrics): void {
  for (const [stage, n] of Object.entries(a.stages)) metrics.stageCustomers.set({ stage }, n);
  for (const [band, n] of Object.entries(a.risk)) metrics.riskCustomers.set({ band }, n);
  for (const s of lifecycle.segments()) metrics.segmentCustomers.set({ segment: s.name }, s.size);
  if (!Number.isNaN(a.retentionRate)) metrics.retentionRate.set(a.retentionRate);
  metrics.averageClv.set(a.averageClv);
  metrics.loyaltyPointsOutstanding.set(a.loyaltyPointsOutstanding);
}
