import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SnapshotContent } from './format.js';
import type { SnapshotStore } from './snapshot-store.js';

/** Snapshot and restore metrics, on the registry given. */
export interface SnapshotMetrics {
  readonly written: Counter;
  readonly failures: Counter;
  readonly seconds: Histogram;
  readonly pauseSeconds: Histogram;
  readonly bytes: Gauge;
  readonly lastSeconds: Gauge;
  readonly restoreSeconds: Gauge;
  readonly restoreTail: Gauge;
  readonly refused: Counter;
}

/** Registers the snapshot metrics (counters start at 0). */
export function createSnapshotMetrics(registry: Registry): SnapshotMetrics {
  const registers = [registry];
  return {
    written: new Counter({ name: 'churnflow_snapshots_total', help: 'State snapshots written', registers }),
    failures: new Counter({
      name: 'churnflow_snapshot_failures_total',
      help: 'State snapshots that could not be captured or written',
      registers,
    }),
    seconds: new Histogram({
      name: 'churnflow_snapshot_seconds',
      help: 'Time to capture, encode and write one snapshot',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    pauseSeconds: new Histogram({
      name: 'churnflow_snapshot_pause_seconds',
      help: 'How long ingestion paused for a snapshot (drain and copy)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    bytes: new Gauge({
      name: 'churnflow_snapshot_bytes',
      help: 'Size of the last snapshot written',
      registers,
    }),
    lastSeconds: new Gauge({
      name: 'churnflow_snapshot_last_timestamp_seconds',
      help: 'When the last snapshot was written (0: none yet); alert on time() minus it',
      registers,
    }),
    restoreSeconds: new Gauge({
      name: 'churnflow_restore_seconds',
      help: 'Time the start-up restore took (0: started without a snapshot)',
      registers,
    }),
    restoreTail: new Gauge({
      name: 'churnflow_restore_tail_messages',
      help: 'Messages in the stream after the restored snapshot at start-up (the tail to replay)',
      registers,
    }),
    refused: new Counter({
      name: 'churnflow_snapshots_refused_total',
      help: 'Snapshots refused at restore (corrupt, unknown format, or a gap in the stream)',
      registers,
    }),
  };
}

/** What the snapshotter takes snapshots of. */
export interface Snapshottable {
  capture(partition?: number): Promise<SnapshotContent>;
  readonly totals: { readonly events: number; readonly lastStreamSeq: number };
}

/** Options of {@link startSnapshotter}. */
export interface SnapshotterOptions {
  readonly engine: Snapshottable;
  readonly store: SnapshotStore;
  readonly partition: number;
  /** A snapshot at least this often (ms of wall time)... */
  readonly intervalMs: number;
  /** ...or after this many events, whichever comes first. */
  readonly everyEvents: number;
  readonly log: Logger;
  readonly metrics: SnapshotMetrics;
}

/**
 * Takes snapshots periodically (by time and by events) and once more on stop. One at a time: a snapshot that is
 * still being written when the next is due makes that one wait. A failure is logged and counted, never fatal.
 */
export function startSnapshotter(opts: SnapshotterOptions): {
  /**
   * Takes a snapshot now; `force` even when nothing was applied since the last (the state changed otherwise).
   * Resolves to whether one was written (a failure is logged and counted, not thrown).
   */
  writeNow(force?: boolean): Promise<boolean>;
  /** Stops and writes a last snapshot of the state after the drain. */
  stop(): Promise<void>;
  /** Stops without a last snapshot (the partition was lost: another owner writes its snapshots now). */
  abandon(): Promise<void>;
} {
  let lastAt = Date.now();
  let lastEvents = opts.engine.totals.events;
  let running: Promise<boolean> | undefined;
  let writtenSeq = -1;
  const writeNow = async (force = false): Promise<boolean> => {
    // Nothing applied since the last snapshot: it still covers everything (a quiet stream writes nothing).
    if (!force && opts.engine.totals.lastStreamSeq === writtenSeq) return false;
    // A forced snapshot must begin after any running one (which may have copied the state before the change).
    if (force) await running;
    running ??= (async () => {
      const t0 = performance.now();
      try {
        const content = await opts.engine.capture(opts.partition);
        opts.metrics.pauseSeconds.observe((performance.now() - t0) / 1000);
        lastAt = Date.now();
        lastEvents = opts.engine.totals.events;
        const written = await opts.store.write(content);
        writtenSeq = content.streamSeq;
        opts.metrics.written.inc();
        opts.metrics.bytes.set(written.bytes);
        opts.metrics.lastSeconds.set(Date.now() / 1000);
        opts.metrics.seconds.observe((performance.now() - t0) / 1000);
        opts.log.info(
          { snapshot: written.name, bytes: written.bytes, streamSeq: content.streamSeq },
          'snapshot written',
        );
        return true;
      } catch (err) {
        opts.metrics.failures.inc();
        opts.log.error({ err }, 'snapshot failed; the previous one stays the newest');
        return false;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(
    () => {
      const due =
        Date.now() - lastAt >= opts.intervalMs || opts.engine.totals.events - lastEvents >= opts.everyEvents;
      if (due && running === undefined) void writeNow();
    },
    Math.min(1_000, opts.intervalMs),
  );
  timer.unref();
  return {
    writeNow,
    async stop() {
      clearInterval(timer);
      await running;
      await writeNow();
    },
    async abandon() {
      clearInterval(timer);
      // A write under way finishes: its state is one the stream defines, as good as the new owner's own.
      await running;
    },
  };
}
