import type { Gauge } from 'prom-client';
import type { EngineMetrics } from '../metrics/index.js';
import type { SnapshotMetrics } from '../snapshot/index.js';

/** How the values the partitions set combine into the one exported. */
type Combine = 'sum' | 'min' | 'max';

type Labels = Record<string, string | number>;

/**
 * A gauge several partitions' engines set: each sets its own value (per label set), the exported one is their sum
 * (customers, timers, segment sizes) or minimum (the event-time watermark: the partition furthest behind). A
 * partition handed over takes its values with it.
 */
class SharedGauge {
  private readonly parts = new Map<number, Map<string, { labels: Labels; value: number }>>();

  constructor(
    private readonly base: Gauge<string>,
    private readonly combine: Combine,
  ) {}

  /** What one partition's engine sets; it uses `set` and `reset` only. */
  view(partition: number): Gauge<string> {
    const set = (a: Labels | number, b?: number): void => {
      const [labels, value] = typeof a === 'number' ? [{}, a] : [a, b ?? 0];
      const key = JSON.stringify(labels);
      let own = this.parts.get(partition);
      if (own === undefined)
        this.parts.set(partition, (own = new Map<string, { labels: Labels; value: number }>()));
      own.set(key, { labels, value });
      this.export(key, labels);
    };
    const reset = (): void => this.drop(partition);
    // Structural stand-in: the engine calls set and reset only (a Gauge's other methods are not reached).
    return { set, reset } as unknown as Gauge<string>;
  }

  /** Forgets a partition's values and exports what the others hold. */
  drop(partition: number): void {
    const own = this.parts.get(partition);
    this.parts.delete(partition);
    for (const [key, { labels }] of own ?? []) this.export(key, labels);
  }

  private export(key: string, labels: Labels): void {
    const values: number[] = [];
    for (const own of this.parts.values()) {
      const v = own.get(key);
      if (v !== undefined) values.push(v.value);
    }
    if (values.length === 0) {
      // Nobody holds this label set any more: it leaves the exposition (a removed segment, say).
      if (Object.keys(labels).length > 0) this.base.remove(labels);
      else this.base.set(0);
      return;
    }
    const combined =
      this.combine === 'sum'
        ? values.reduce((a, b) => a + b, 0)
        : this.combine === 'min'
          ? Math.min(...values)
          : Math.max(...values);
    this.base.set(labels, combined);
  }
}

/** The engine gauges partitions share, and how each combines. Averages are set by the host from merged answers. */
const SHARED = {
  customers: 'sum',
  timersPending: 'sum',
  segmentCustomers: 'sum',
  stageCustomers: 'sum',
  riskCustomers: 'sum',
  loyaltyPointsOutstanding: 'sum',
  watermarkSeconds: 'min',
} as const satisfies Partial<Record<keyof EngineMetrics, Combine>>;

/** The gauges set from merged aggregates instead: a mean of partitions' means would be wrong. */
const MERGED = ['retentionRate', 'averageClv'] as const;

/**
 * The snapshot gauges partitions share: the oldest partition's last snapshot time (an alert on its age must see a
 * partition whose snapshots stopped), the bytes and tails summed, the longest restore.
 */
const SHARED_SNAPSHOT = {
  lastSeconds: 'min',
  bytes: 'sum',
  restoreTail: 'sum',
  restoreSeconds: 'max',
} as const satisfies Partial<Record<keyof SnapshotMetrics, Combine>>;

/** The metrics one partition's engine, input and snapshotter write to. */
export interface PartitionMetrics {
  readonly metrics: EngineMetrics;
  readonly snapshotMetrics: SnapshotMetrics;
}

/** The gauges exported per partition (label `partition`) rather than combined. */
const PER_PARTITION = ['consumerPendingMessages', 'replayRemainingMessages'] as const;

/**
 * `base` with its per-partition gauges bound to `partition`: the partition's code sets them without labels (it
 * does not know its number) and the series carries `partition="<n>"`.
 */
export function partitionSeries(base: PartitionMetrics, partition: number): PartitionMetrics {
  const labels = { partition: String(partition) };
  const bound = PER_PARTITION.map((name) => {
    const gauge = base.metrics[name];
    // Structural stand-in, as SharedGauge's views: the partition's code calls set only.
    const view = { set: (value: number) => gauge.set(labels, value), reset: () => gauge.remove(labels) };
    return [name, view as unknown as typeof gauge] as const;
  });
  return { ...base, metrics: { ...base.metrics, ...Object.fromEntries(bound) } };
}

function sharedGauges<M extends object>(base: M, combines: Partial<Record<keyof M, Combine>>) {
  return (Object.entries(combines) as [keyof M, Combine][]).map(
    ([name, combine]) => [name, new SharedGauge(base[name] as Gauge<string>, combine)] as const,
  );
}

/**
 * Metrics for the engines of several partitions in one process: counters and histograms are shared as they are
 * (they add up by themselves), gauges combine through {@link SharedGauge}.
 */
export function partitionGauges(base: PartitionMetrics): {
  viewFor(partition: number): PartitionMetrics;
  drop(partition: number): void;
} {
  const engine = sharedGauges(base.metrics, SHARED);
  const snapshot = sharedGauges(base.snapshotMetrics, SHARED_SNAPSHOT);
  const ignored = { set: () => undefined, reset: () => undefined } as unknown as Gauge<string>;
  const views = (gauges: typeof engine | typeof snapshot, partition: number) =>
    Object.fromEntries(gauges.map(([name, gauge]) => [name, gauge.view(partition)]));
  return {
    viewFor(partition) {
      const merged = Object.fromEntries(MERGED.map((name) => [name, ignored]));
      const own = partitionSeries(base, partition).metrics;
      return {
        metrics: { ...own, ...views(engine, partition), ...merged },
        snapshotMetrics: { ...base.snapshotMetrics, ...views(snapshot, partition) },
      };
    },
    drop(partition) {
      for (const [, gauge] of [...engine, ...snapshot]) gauge.drop(partition);
      // A partition handed over leaves the per-partition series: its new owner exports them.
      for (const name of PER_PARTITION) base.metrics[name].remove({ partition: String(partition) });
    },
  };
}
