import type { Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import { ChurnflowError } from '../contract/codes.js';
import type { EngineState } from '../engine/index.js';
import { createHostMetrics, type EngineMetrics, type NotReady } from '../metrics/index.js';
import type { LeaseChange, PartitionOwnership, ReleaseHook } from '../partitions/index.js';
import type { ChurnModel } from '../score/index.js';
import type { SegmentRuleSet } from '../segment/index.js';
import { engineGroup, type EngineGroup, type GroupTotals } from './engine-group.js';
import { partitionGauges, partitionSeries, type PartitionMetrics } from './partition-gauges.js';
import {
  startPartitionWorker,
  type PartitionInput,
  type PartitionWorker,
  type WorkerContext,
} from './partition-worker.js';

/** What {@link createPartitionHost} works with. */
export interface HostDeps extends Omit<WorkerContext, 'onEnded'> {
  /** Partitions may move between instances (a lease bucket is configured). */
  readonly shared: boolean;
  readonly metrics: EngineMetrics;
  readonly registry: Registry;
  /**
   * Opens one partition's input (its consumer, snapshot, ticks), with the partition's view of the metrics;
   * `owned` is asked before the partition's consumer is reset (a lease lost meanwhile must leave it alone).
   */
  readonly openInput: (
    partition: number,
    views: PartitionMetrics,
    owned: () => boolean,
  ) => Promise<PartitionInput>;
  /** Makes the ownership, with the hook it must await before handing a partition back. */
  readonly ownership: (onRelease: ReleaseHook) => PartitionOwnership;
  readonly model: ChurnModel;
  readonly rules?: SegmentRuleSet;
}

/** The partitions this process owns, each worked by its own engine, started and stopped as leases change. */
export interface PartitionHost extends EngineGroup {
  readonly state: EngineState;
  readonly ownership: PartitionOwnership;
  /** Resolves when the host has stopped, or every engine ended by itself; rejects when one failed. */
  readonly done: Promise<void>;
  /** Claims partitions (all of them without leases) and starts their engines; resolves after the first round. */
  start(): Promise<void>;
  notReady(): NotReady[];
  /** Swaps the champion in every engine (and for partitions opened later); resolves to the old model once unused. */
  swapModel(model: ChurnModel): Promise<ChurnModel>;
  swapSegmentRules(rules: SegmentRuleSet): void;
  /** Hands every partition back (each drained and snapshotted) and stops. */
  stop(): Promise<void>;
}

/**
 * Owns partitions once started. On `acquired` a partition's input is opened (restore + tail) and an engine started on
 * it; on `lost` its engine stops at once and nothing more is written for it; before a partition is handed back
 * (rebalance, stop) its engine drains and writes its last snapshot. Changes of one partition run in order.
 */
export function createPartitionHost(deps: HostDeps): PartitionHost {
  const { log } = deps;
  const workers = new Map<number, PartitionWorker>();
  const metrics = createHostMetrics(deps.registry, {
    stateBytes: () => sum([...workers.values()].map((w) => w.engine.store.columnBytes)),
    oldestWatermarkMs: () => oldest([...workers.values()].map((w) => w.engine.store.watermarkMs)),
    partitions: deps.count,
  });
  const opening = new Set<number>();
  const retired = { events: 0, deadLetters: 0, duplicates: 0, scoreUpdates: 0 };
  const current = { model: deps.model, rules: deps.rules };
  let state: EngineState = 'starting';
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => undefined);
  const fail = (err: unknown): void => {
    if (state === 'failed' || state === 'stopped') return;
    state = 'failed';
    log.fatal({ err }, 'a partition failed');
    settle?.reject(err instanceof Error ? err : new Error(String(err)));
  };
  // Gauges combine over partitions when there are several, or when a partition may move to another instance (its
  // values must leave with it); one partition held for good sets the engine's gauges directly.
  const base = { metrics: deps.metrics, snapshotMetrics: deps.snapshotMetrics };
  const gauges = deps.count > 1 || deps.shared ? partitionGauges(base) : undefined;
  const failures = new Map<number, number>();
  const ctx: WorkerContext = {
    ...deps,
    onEnded: (partition, err) => {
      if (err !== undefined) return fail(err);
      // A finite source (an event file) ended: once every partition's has, so has the host.
      if ([...workers.values()].every((w) => w.engine.state === 'stopped') && state === 'running') {
        state = 'stopped';
        log.info({ partition }, 'input ended');
        settle?.resolve();
      }
    },
  };

  const chains = new Map<number, Promise<void>>();
  /** Runs `step` after everything already queued for the partition; a step that throws fails the host. */
  const inOrder = (partition: number, step: () => Promise<void>): Promise<void> => {
    const next = (chains.get(partition) ?? Promise.resolve()).then(step).catch(fail);
    chains.set(partition, next);
    return next;
  };
  const retire = async (partition: number, how: 'release' | 'abandon'): Promise<void> => {
    const worker = workers.get(partition);
    if (worker === undefined) return;
    // Out of the group at once: no request is answered from a partition on its way out.
    workers.delete(partition);
    await worker[how]();
    for (const key of Object.keys(retired) as (keyof GroupTotals)[])
      retired[key] += worker.engine.totals[key];
    gauges?.drop(partition);
  };
  const owned = (partition: number) => ownership.owns(partition) && state === 'running';
  const open = async (partition: number): Promise<void> => {
    if (!owned(partition) || workers.has(partition)) return;
    const openedAt = performance.now();
    // Per-partition series (consumer lag, replay) carry the partition label even when gauges are not combined.
    const views = gauges?.viewFor(partition) ?? partitionSeries(base, partition);
    opening.add(partition);
    try {
      const input = await deps.openInput(partition, views, () => owned(partition));
      // Lost while its snapshot loaded: someone else owns it now.
      if (!owned(partition)) {
        input.close();
        gauges?.drop(partition);
        return;
      }
      workers.set(
        partition,
        startPartitionWorker(ctx, input, { model: current.model, rules: current.rules, ...views }, openedAt),
      );
      failures.delete(partition);
      log.info({ partition, ms: Math.round(performance.now() - openedAt) }, 'partition open');
    } catch (err) {
      gauges?.drop(partition);
      if (!owned(partition)) return; // lost meanwhile: the new owner opens it
      if (!isTransient(err)) throw err;
      // A NATS hiccup during a takeover must not take the instance down (and its partitions with it, one survivor
      // after the other): the partition stays not ready and is opened again while the lease is held.
      const attempt = (failures.get(partition) ?? 0) + 1;
      failures.set(partition, attempt);
      const delayMs = Math.min(OPEN_RETRY_MAX_MS, 500 * 2 ** attempt);
      log.error({ err, partition, attempt, retryInMs: delayMs }, 'partition not opened; retrying');
      setTimeout(() => void inOrder(partition, () => open(partition)), delayMs).unref();
    } finally {
      opening.delete(partition);
    }
  };
  const onChange = (change: LeaseChange): void => {
    metrics.changes.inc({ change: change.kind === 'lost' ? change.reason : change.kind });
    metrics.owned.set(ownership.owned().length);
    if (change.kind === 'acquired') void inOrder(change.partition, () => open(change.partition));
    if (change.kind === 'lost') {
      log.warn({ partition: change.partition, reason: change.reason }, 'partition lost: its engine stops');
      void inOrder(change.partition, () => retire(change.partition, 'abandon'));
    }
    // Handed back while a worker still runs (a release hook of an earlier ownership resolved late): stop it.
    if (change.kind === 'released') void inOrder(change.partition, () => retire(change.partition, 'abandon'));
  };
  const ownership = deps.ownership((partition) => inOrder(partition, () => retire(partition, 'release')));
  const subscription: Subscription = ownership.changes.subscribe(onChange);

  const group = engineGroup(deps.count, workers, retired);
  // Means over several partitions come from the merged aggregates (a mean of the partitions' means would be wrong).
  const averages =
    gauges === undefined
      ? undefined
      : setInterval(() => {
          const a = group.aggregates();
          if (a.passes === 0) return;
          if (!Number.isNaN(a.retentionRate)) deps.metrics.retentionRate.set(a.retentionRate);
          deps.metrics.averageClv.set(a.averageClv);
        }, deps.config.aggregates.passMs);
  averages?.unref();
  let stopping: Promise<void> | undefined;
  return {
    ...group,
    totals: group.totals,
    ownership,
    done,
    get state() {
      return state;
    },
    async start() {
      if (state !== 'starting') return;
      state = 'running';
      await ownership.start();
      // The partitions claimed in the first round are open (restored, consuming) before the start resolves.
      await Promise.all(chains.values());
      // A partition that failed to open failed the host (state changes in callbacks).
      if ((state as EngineState) === 'failed') await done;
    },
    holds: (customerId) => ownership.owns(group.partitionOf(customerId)),
    profile(customerId) {
      const partition = group.partitionOf(customerId);
      if (ownership.owns(partition) && !workers.has(partition)) {
        const why = `partition ${partition} is being restored here`;
        return Promise.reject(new ChurnflowError('PARTITION_RESTORING', why));
      }
      return group.profile(customerId);
    },
    erase(customerId) {
      const partition = group.partitionOf(customerId);
      if (ownership.owns(partition) && !workers.has(partition)) {
        const why = `partition ${partition} is being restored here`;
        return Promise.reject(new ChurnflowError('PARTITION_RESTORING', why));
      }
      return group.erase(customerId);
    },
    notReady() {
      const waiting = ownership
        .owned()
        .filter((p) => !workers.has(p))
        .map((p) => ({
          reason: 'starting' as const,
          detail: `partition ${p}: ${opening.has(p) ? 'restoring' : failures.has(p) ? 'failed to open, retrying' : 'opening'}`,
        }));
      return [...waiting, ...[...workers.values()].flatMap((w) => w.notReady())];
    },
    async swapModel(model) {
      const old = current.model;
      current.model = model;
      await Promise.all([...workers.values()].map((w) => w.engine.swapModel(model)));
      return old;
    },
    swapSegmentRules(rules) {
      current.rules = rules;
      for (const w of workers.values()) w.engine.swapSegmentRules(rules);
    },
    stop() {
      stopping ??= (async () => {
        if (state === 'running') state = 'draining';
        clearInterval(averages);
        await ownership.stop();
        await Promise.all(chains.values());
        subscription.unsubscribe();
        metrics.owned.set(0);
        if (state !== 'failed') state = 'stopped';
        settle?.resolve();
      })();
      return stopping;
    },
  };
}

/** Retries of a partition that failed to open back off up to this (ms). */
const OPEN_RETRY_MAX_MS = 30_000;

/** A refusal by design (a gap with snapshot.onGap "refuse", an invalid model or config) is final; the rest is retried. */
function isTransient(err: unknown): boolean {
  return !(err instanceof ChurnflowError) || err.code === 'NATS_SETUP_FAILED';
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The smallest watermark among partitions that have seen an event (0: none yet); undefined when none has. */
function oldest(watermarksMs: readonly number[]): number | undefined {
  const seen = watermarksMs.filter((w) => w > 0);
  return seen.length === 0 ? undefined : Math.min(...seen);
}
