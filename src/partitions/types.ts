import type { Observable } from 'rxjs';

/** Why an instance stopped owning a partition without handing it back. */
export type LostReason =
  /** The lease key changed under us: another instance took it over, or an operator deleted it. */
  | 'taken'
  /** No renewal succeeded in time (server unreachable, process paused): the owner stops before others may take over. */
  | 'expired';

/**
 * A change of what this instance owns, in the order it happened. The engine stops a partition's consumer at once
 * on `lost` (someone else may already own it) and restores its snapshot and tails it on `acquired`.
 */
export type LeaseChange =
  | {
      readonly kind: 'acquired';
      readonly partition: number;
      /** The lease's revision: grows with every owner change (a fencing token for what the owner writes). */
      readonly revision: number;
    }
  | { readonly kind: 'lost'; readonly partition: number; readonly reason: LostReason }
  /** Handed back after the release hook finished (rebalancing, or stop). */
  | { readonly kind: 'released'; readonly partition: number };

/** The life of an ownership: `idle` until started; `stopping` while it hands its partitions back. */
export type OwnershipState = 'idle' | 'running' | 'stopping' | 'stopped';

/** Which partitions this instance works on, and the changes to that. */
export interface PartitionOwnership {
  /** This instance's id. */
  readonly instanceId: string;
  /** P. */
  readonly count: number;
  /** Changes, hot: subscribe before {@link start}. Completes after {@link stop}. */
  readonly changes: Observable<LeaseChange>;
  /** The current state. */
  state(): OwnershipState;
  /** The partitions held now (a lease past its validity is not held, even before its `lost` is emitted), ascending. */
  owned(): readonly number[];
  /** Whether `partition` is held now. */
  owns(partition: number): boolean;
  /** Starts owning: claims a fair share (or everything, without leases). Resolves after the first round. */
  start(): Promise<void>;
  /**
   * Runs one round now (renew, claim, release) and resolves when it is done; rounds never overlap. A timer does
   * this every renewal period, and a change seen in the bucket does it at once.
   */
  reconcile(): Promise<void>;
  /** Hands every partition back (after the release hook of each) and completes {@link changes}. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Awaited before a partition is handed back voluntarily (rebalancing or stop): the engine stops the partition's
 * consumer and writes its snapshot, so that the next owner restores from there. The lease is renewed meanwhile.
 * Never called for a lost partition (someone else may own it already).
 */
export type ReleaseHook = (partition: number) => Promise<void>;
