import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { Config } from '../config/index.js';
import { startEngine, type Engine } from '../engine/index.js';
import type { EraseResult } from '../erase/index.js';
import type { InboundBatch } from '../ingest/index.js';
import type { EngineMetrics, NotReady } from '../metrics/index.js';
import type { OutputSink } from '../publish/index.js';
import type { FlowGate } from '../rx/index.js';
import type { ChurnModel, ShadowScorer } from '../score/index.js';
import type { SegmentRuleSet } from '../segment/index.js';
import {
  startSnapshotter,
  type SnapshotContent,
  type SnapshotMetrics,
  type SnapshotStore,
} from '../snapshot/index.js';

/** What one partition's engine reads and where its state is kept (the runtime opens it). */
export interface PartitionInput {
  readonly partition: number;
  /** Its events are on `<eventPrefix>.<customer token>.<type>` (`events`, or `pevents.<p>` when partitioned). */
  readonly eventPrefix: string;
  readonly source: Observable<InboundBatch>;
  /** Back-pressure from the engine to the source, when the source can pause. */
  readonly flow?: FlowGate;
  /** Writes a clock tick into the partition's stream (see EngineDeps.publishTick), when the source is a stream. */
  readonly publishTick?: (atMs: number) => Promise<boolean>;
  /** The snapshot the state starts from (the consumer resumes right after it). */
  readonly restored?: { readonly content: SnapshotContent; readonly name: string };
  /** Where the partition's snapshots go, when they are on. */
  readonly snapshots?: SnapshotStore;
  /** Reasons this partition is not ready (empty: ready). */
  notReady(): NotReady[];
  /** Stops watching the consumer (the source ends with the engine). */
  close(): void;
}

/** What every partition's worker shares. */
export interface WorkerContext {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly sink: OutputSink;
  /** The snapshot metrics the process exports (each partition writes to its view of them). */
  readonly snapshotMetrics: SnapshotMetrics;
  /** P. */
  readonly count: number;
  readonly shadow?: ShadowScorer;
  /**
   * Makes the erase of one partition (its events purged under its prefix, its snapshots rewritten); absent
   * without NATS.
   */
  readonly eraserFor?: (parts: {
    readonly engine: Engine;
    readonly eventPrefix: string;
    readonly snapshotter: { writeNow(force?: boolean): Promise<boolean> } | undefined;
    readonly snapshots: SnapshotStore | undefined;
  }) => Promise<(customerId: string) => Promise<EraseResult | undefined>>;
  /** Called when a worker's engine has ended by itself (a finite source) or failed. */
  readonly onEnded?: (partition: number, err?: unknown) => void;
}

/** One owned partition at work: its engine, its snapshots, its erase. */
export interface PartitionWorker {
  readonly partition: number;
  readonly engine: Engine;
  erase(customerId: string): Promise<EraseResult | undefined>;
  notReady(): NotReady[];
  /** Handing over (rebalance, stop): drains the engine, writes the partition's last snapshot, closes its input. */
  release(): Promise<void>;
  /** Lost (someone else may own it already): stops the engine and writes nothing more for the partition. */
  abandon(): Promise<void>;
}

/**
 * Starts the engine of one partition on its input, from the input's snapshot when there is one, with the model and
 * rules in force at this moment (read synchronously, so a swap running now reaches this engine too).
 */
export function startPartitionWorker(
  ctx: WorkerContext,
  input: PartitionInput,
  current: {
    readonly model: ChurnModel;
    readonly rules: SegmentRuleSet | undefined;
    readonly metrics: EngineMetrics;
    readonly snapshotMetrics: SnapshotMetrics;
  },
  openedAt: number,
): PartitionWorker {
  const { config } = ctx;
  const { snapshotMetrics } = current;
  const { partition } = input;
  // Closures below keep `kept` alive, not the restored snapshot (hundreds of MB at a million customers).
  const { restored, ...kept } = input;
  const log = ctx.log.child({ partition });
  const engine = startEngine({
    config,
    log,
    metrics: current.metrics,
    source: kept.source,
    sink: ctx.sink,
    model: current.model,
    partition: { index: partition, count: ctx.count, eventPrefix: kept.eventPrefix },
    ...(kept.flow === undefined ? {} : { flow: kept.flow }),
    ...(kept.publishTick === undefined ? {} : { publishTick: kept.publishTick }),
    ...(restored === undefined ? {} : { restore: restored }),
    ...(current.rules === undefined ? {} : { segments: current.rules }),
    ...(ctx.shadow === undefined ? {} : { shadow: ctx.shadow }),
  });
  if (restored !== undefined) snapshotMetrics.restoreSeconds.set((performance.now() - openedAt) / 1000);
  const snapshotter =
    kept.snapshots === undefined
      ? undefined
      : startSnapshotter({
          engine,
          store: kept.snapshots,
          partition,
          intervalMs: config.snapshot.intervalMs,
          everyEvents: config.snapshot.everyEvents,
          log,
          metrics: snapshotMetrics,
        });
  // Made at the first erase: nothing awaits between the engine's start and the worker's return, so a model swap
  // that begins meanwhile cannot miss this engine.
  let eraser: ReturnType<NonNullable<WorkerContext['eraserFor']>> | undefined;
  const erase = async (customerId: string): Promise<EraseResult | undefined> => {
    if (ctx.eraserFor === undefined) return undefined;
    eraser ??= ctx.eraserFor({
      engine,
      eventPrefix: kept.eventPrefix,
      snapshotter,
      snapshots: kept.snapshots,
    });
    return (await eraser)(customerId);
  };
  let ended: Promise<void> | undefined;
  engine.done.then(
    () => ended === undefined && ctx.onEnded?.(partition),
    (err: unknown) => ctx.onEnded?.(partition, err),
  );
  return {
    partition,
    engine,
    erase,
    notReady: () => [
      ...kept.notReady(),
      ...(engine.state === 'running'
        ? []
        : [
            {
              reason: 'engine_not_running' as const,
              detail: `partition ${partition}: engine ${engine.state}`,
            },
          ]),
    ],
    release() {
      ended ??= (async () => {
        await engine.stop().catch(() => undefined);
        // The state after the drain, so the next owner resumes exactly here.
        await snapshotter?.stop();
        kept.close();
      })();
      return ended;
    },
    abandon() {
      ended ??= (async () => {
        // The input first: someone else may own the partition already, so nothing more is pulled from its
        // consumer (the snapshot under way, if any, finishes after).
        const stopped = engine.stop().catch(() => undefined);
        await snapshotter?.abandon();
        await stopped;
        kept.close();
      })();
      return ended;
    },
  };
}
