import { customerToken } from '../contract/subjects.js';
import type { Aggregates, CustomerProfile, Engine, SegmentSummary } from '../engine/index.js';
import type { EraseResult } from '../erase/index.js';
import { partitionOfToken } from '../partitions/index.js';
import type { DryRunResult } from '../segment/index.js';
import { mergeAggregates, mergeDryRuns, mergeSegments } from './merge.js';
import type { PartitionWorker } from './partition-worker.js';

/** Counts over every partition this process has worked on since it started. */
export interface GroupTotals {
  readonly events: number;
  readonly deadLetters: number;
  readonly duplicates: number;
  readonly scoreUpdates: number;
}

/** The engines of the partitions this process owns, answering as one. */
export interface EngineGroup {
  /** P. */
  readonly count: number;
  readonly totals: GroupTotals;
  /** The engines working now, by partition. */
  engines(): readonly Engine[];
  /** The partitions whose engines work here now, ascending. */
  held(): number[];
  /** The partition a customer belongs to (the server's mapping hashes its token the same way). */
  partitionOf(customerId: string): number;
  /** Whether the customer's partition is worked here (P = 1 without leases: always). */
  holds(customerId: string): boolean;
  /** The engine of the customer's partition, when this process owns it. */
  engineOf(customerId: string): Engine | undefined;
  profile(customerId: string): Promise<CustomerProfile | undefined>;
  erase(customerId: string): Promise<EraseResult | undefined>;
  /** Over the partitions owned here. */
  segments(): SegmentSummary[];
  dryRun(
    rule: string,
    sampleSize: number,
    options?: { readonly signal?: AbortSignal },
  ): Promise<DryRunResult>;
  aggregates(): Aggregates;
}

/**
 * The request face of the partitions held in `workers`: a customer's questions go to its partition's engine;
 * segments, dry runs and aggregates combine every partition held. `retired` holds the totals of engines that were
 * handed over, so the process's counts never go down.
 */
export function engineGroup(
  count: number,
  workers: ReadonlyMap<number, PartitionWorker>,
  retired: GroupTotals,
): EngineGroup {
  const list = (): PartitionWorker[] => [...workers.values()].sort((a, b) => a.partition - b.partition);
  const partitionOf = (customerId: string): number =>
    count === 1 ? 0 : partitionOfToken(customerToken(customerId), count);
  const workerOf = (customerId: string) => workers.get(partitionOf(customerId));
  const sum = (key: keyof GroupTotals): number =>
    list().reduce((n, w) => n + w.engine.totals[key], retired[key]);
  return {
    count,
    totals: {
      get events() {
        return sum('events');
      },
      get deadLetters() {
        return sum('deadLetters');
      },
      get duplicates() {
        return sum('duplicates');
      },
      get scoreUpdates() {
        return sum('scoreUpdates');
      },
    },
    engines: () => list().map((w) => w.engine),
    held: () => list().map((w) => w.partition),
    partitionOf,
    holds: (customerId) => workerOf(customerId) !== undefined,
    engineOf: (customerId) => workerOf(customerId)?.engine,
    profile: (customerId) => workerOf(customerId)?.engine.profile(customerId) ?? Promise.resolve(undefined),
    erase: (customerId) => workerOf(customerId)?.erase(customerId) ?? Promise.resolve(undefined),
    segments: () => mergeSegments(list().map((w) => w.engine.segments())),
    async dryRun(rule, sampleSize, options) {
      // One partition after the other, each in time slices within its own budget: never two scans at once.
      const parts: DryRunResult[] = [];
      for (const w of list()) parts.push(await w.engine.dryRun(rule, sampleSize, options));
      return mergeDryRuns(parts, sampleSize);
    },
    aggregates: () => mergeAggregates(list().map((w) => w.engine.aggregates())),
  };
}
