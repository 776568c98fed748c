import { Counter, Gauge, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { EngineState } from '../engine/index.js';
import type { EngineMetrics, NotReady } from '../metrics/index.js';
import type { LeaseChange, PartitionOwnership, ReleaseHook } from '../partitions/index.js';
import type { ChurnModel } from '../score/index.js';
import type { SegmentRuleSet } from '../segment/index.js';
import { engineGroup, type EngineGroup, type GroupTotals } from './engine-group.js';
import { partitionGauges, type PartitionMetrics } from './partition-gauges.js';
import {
  startPartitionWorker,
  type PartitionInput,
  type PartitionWorker,
  type WorkerContext,
} from './partition-worker.js';

/** What {@link startPartitionHost} works with. */
export interface HostDeps extends Omit<WorkerContext, 'onEnded'> {
  readonly metrics: EngineMetrics;
  readonly registry: Registry;
  /** Opens one partition's input (its consumer, snapshot, ticks), with the partition's view of the metrics. */
  readonly openInput: (partition: number, views: PartitionMetrics) => Promise<PartitionInput>;
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
  const metrics = hostMetrics(deps.registry);
  const workers = new Map<number, PartitionWorker>();
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
  // Gauges combine over partitions only when there are several; one partition sets the engine's gauges directly.
  const base = { metrics: deps.metrics, snapshotMetrics: deps.snapshotMetrics };
  const gauges = deps.count > 1 ? partitionGauges(base) : undefined;
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
    await worker[how]();
    workers.delete(partition);
    for (const key of Object.keys(retired) as (keyof GroupTotals)[])
      retired[key] += worker.engine.totals[key];
    gauges?.drop(partition);
  };
  const open = async (partition: number): Promise<void> => {
    const openedAt = performance.now();
    const views = gauges?.viewFor(partition) ?? base;
    opening.add(partition);
    try {
      const input = await deps.openInput(partition, views);
      // Lost while its snapshot loaded: someone else owns it now.
      if (!ownership.owns(partition) || state !== 'running') return input.close();
      workers.set(
        partition,
        startPartitionWorker(ctx, input, { model: current.model, rules: current.rules, ...views }, openedAt),
      );
      log.info({ partition, ms: Math.round(performance.now() - openedAt) }, 'partition open');
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
    notReady() {
      const waiting = ownership
        .owned()
        .filter((p) => !workers.has(p))
        .map((p) => ({
          reason: 'starting' as const,
          detail: `partition ${p}: ${opening.has(p) ? 'restoring' : 'opening'}`,
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

function hostMetrics(registry: Registry) {
  const changes = new Counter({
    name: 'churnflow_partition_lease_changes_total',
    help: 'Partition ownership changes of this instance: acquired, released (handed back), or lost (taken, expired)',
    labelNames: ['change'],
    registers: [registry],
  });
  for (const change of ['acquired', 'released', 'taken', 'expired']) changes.inc({ change }, 0);
  const owned = new Gauge({
    name: 'churnflow_partitions_owned',
    help: 'Partitions this instance owns now',
    registers: [registry],
  });
  return { changes, owned };
}
