import { Counter, Gauge, type Registry } from 'prom-client';

/** What the host metrics read at each scrape: the partitions this process works now. */
export interface HostProbe {
  /** Bytes of customer state (the stores' columns), summed over the partitions worked here. */
  stateBytes(): number;
  /** The event-time watermark of the partition furthest behind, ms since the epoch; undefined before any event. */
  oldestWatermarkMs(): number | undefined;
  /** Wall clock, ms since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** Partitions the stream is split into (partitions.count). */
  readonly partitions: number;
}

/** The partition host's metrics: ownership, and what its partitions hold. */
export interface HostMetrics {
  readonly changes: Counter<'change'>;
  readonly owned: Gauge;
}

/** The lease changes `churnflow_partition_lease_changes_total{change}` counts. */
export const LEASE_CHANGES = ['acquired', 'released', 'taken', 'expired'] as const;

/**
 * Registers the host's metrics on `registry`. State bytes and event-time lag are read from `probe` at each scrape
 * (a sum and a minimum over the partitions at that moment, so a partition handed over leaves them at once).
 */
export function createHostMetrics(registry: Registry, probe: HostProbe): HostMetrics {
  const registers = [registry];
  const clock = probe.clock ?? Date.now;
  const changes = new Counter({
    name: 'churnflow_partition_lease_changes_total',
    help: 'Partition ownership changes of this instance: acquired, released (handed back), or lost (taken, expired)',
    labelNames: ['change'],
    registers,
  });
  for (const change of LEASE_CHANGES) changes.inc({ change }, 0);
  const stateBytes: Gauge = new Gauge({
    name: 'churnflow_state_bytes',
    help: "Bytes of customer state held (the stores' columns and id indexes), summed over the partitions worked here",
    registers,
    collect() {
      stateBytes.set(probe.stateBytes());
    },
  });
  const lag: Gauge = new Gauge({
    name: 'churnflow_event_time_lag_seconds',
    help: 'Wall clock minus the event-time watermark of the partition furthest behind, seconds; NaN before any event',
    registers,
    collect() {
      const watermarkMs = probe.oldestWatermarkMs();
      lag.set(watermarkMs === undefined ? Number.NaN : (clock() - watermarkMs) / 1000);
    },
  });
  const owned = new Gauge({
    name: 'churnflow_partitions_owned',
    help: 'Partitions this instance owns now',
    registers,
  });
  // Beside the owned count, so an alert compares the sum over instances with the configured count exactly.
  new Gauge({
    name: 'churnflow_partitions',
    help: 'Partitions the event stream is split into (partitions.count); each should be owned by one instance',
    registers,
  }).set(probe.partitions);
  return { changes, owned };
}
