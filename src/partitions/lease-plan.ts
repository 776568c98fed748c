import { fnv1a32 } from './hash.js';
import type { LeaseRecord } from './lease-records.js';

/**
 * The decisions of one lease round, as pure functions of what the round read from the bucket: who is alive, this
 * instance's fair share, which partitions to claim and which one to give up. The lease manager does the I/O;
 * the bucket's compare-and-set makes every decision safe even when two instances decide on different views.
 */

/**
 * When each key's current revision was first seen, on the observer's own clock. A lease or heartbeat is stale
 * once its revision has stayed the same for its TTL on this clock: no instance ever compares its clock with
 * another machine's, so clock offsets between instances and the server do not matter, only clock rates.
 */
export class RevisionAges {
  private readonly seen = new Map<string, { revision: number; at: number }>();

  /** Records that `key` holds `revision` at `now`; returns how long (ms) that revision has been seen. */
  observe(key: string, revision: number, now: number): number {
    const prev = this.seen.get(key);
    // The same revision seen again (a round reading what the watch delivered first) keeps its first time; the watch
    // delivers after the write, so an age never exceeds the real time since the write. A late delivery of an older
    // revision changes nothing.
    if (prev !== undefined && prev.revision >= revision) return now - prev.at;
    this.seen.set(key, { revision, at: now });
    return 0;
  }

  /** Forgets a key (deleted or purged). */
  forget(key: string): void {
    this.seen.delete(key);
  }
}

/** A lease as one round read it. */
export interface LeaseObservation {
  readonly partition: number;
  /** The key's revision; 0 when the key never existed (or was removed by the bucket's age limit). */
  readonly revision: number;
  /** True when the latest entry is a delete or purge marker, or there is no entry: the partition is free. */
  readonly free: boolean;
  /** The decoded value; undefined for a free partition or a value that is not a lease. */
  readonly record: LeaseRecord | undefined;
  /** How long this revision has been seen unchanged, on this instance's clock (ms). */
  readonly ageMs: number;
}

/** A heartbeat as one round read it. */
export interface HeartbeatObservation {
  readonly instance: string;
  readonly revision: number;
  readonly ageMs: number;
  /** The writer's TTL (this instance's when the value is unreadable). */
  readonly ttlMs: number;
}

/** What a round knows about itself. */
export interface PlanInput {
  readonly count: number;
  readonly instanceId: string;
  readonly session: string;
  /** This instance's lease TTL: the staleness bound of values that do not carry one. */
  readonly ttlMs: number;
  /** Partitions this instance holds a valid lease on, with the revision of its last write. */
  readonly owned: ReadonlyMap<number, number>;
  /**
   * Partitions being handed back: their release hook runs (still owned), or their delete is to be retried (no
   * longer owned). While any is, no further release is decided; none of them is claimed.
   */
  readonly releasing: ReadonlySet<number>;
  /** False while stopping: then nothing is claimed. */
  readonly claiming: boolean;
  readonly leases: readonly LeaseObservation[];
  readonly heartbeats: readonly HeartbeatObservation[];
}

/** What a round does. */
export interface Plan {
  /** Live instances (this one included), sorted. */
  readonly live: readonly string[];
  /** This instance's fair share: floor(P / n), plus one for the first P mod n instances by id. */
  readonly quota: number;
  /** Owned partitions whose key changed under us (taken over, or deleted by an operator): lost at once. */
  readonly taken: readonly number[];
  /** Owned partitions to renew, with the revision to compare against. */
  readonly renew: ReadonlyArray<{ readonly partition: number; readonly revision: number }>;
  /** Partitions to claim: `revision` 0 creates the key, otherwise compare-and-set on that revision. */
  readonly claim: ReadonlyArray<{ readonly partition: number; readonly revision: number }>;
  /** Owned partitions to hand back: this instance holds more than its share and hands nothing back already. */
  readonly release: readonly number[];
  /** Heartbeats unchanged for their TTL: deleted (compare-and-set) so that they stop counting anywhere. */
  readonly deadHeartbeats: ReadonlyArray<{ readonly instance: string; readonly revision: number }>;
}

/** This instance's share of `count` partitions among the sorted `live` ids. */
export function fairShare(count: number, live: readonly string[], instanceId: string): number {
  const n = Math.max(1, live.length);
  const rank = Math.max(0, live.indexOf(instanceId));
  return Math.floor(count / n) + (rank < count % n ? 1 : 0);
}

/** Decides one round (see {@link Plan}). */
export function planRound(input: PlanInput): Plan {
  const liveSet = new Set<string>([input.instanceId]);
  const deadHeartbeats: { instance: string; revision: number }[] = [];
  for (const h of input.heartbeats) {
    if (h.ageMs < h.ttlMs) liveSet.add(h.instance);
    else if (h.instance !== input.instanceId)
      deadHeartbeats.push({ instance: h.instance, revision: h.revision });
  }
  const live = [...liveSet].sort();
  const quota = fairShare(input.count, live, input.instanceId);

  const taken: number[] = [];
  const renew: { partition: number; revision: number }[] = [];
  const mineEarlier: LeaseObservation[] = [];
  const free: LeaseObservation[] = [];
  const stale: LeaseObservation[] = [];
  for (const lease of input.leases) {
    const mine = input.owned.get(lease.partition);
    if (mine !== undefined) {
      if (lease.free || lease.revision !== mine) taken.push(lease.partition);
      else renew.push({ partition: lease.partition, revision: mine });
      continue;
    }
    // Being handed back (its delete may still be retried): not ours to claim again, nor anyone's to count.
    if (input.releasing.has(lease.partition)) continue;
    if (lease.free) free.push(lease);
    else if (lease.record?.owner === input.instanceId && lease.record.session === input.session) {
      // Our own write of this session that we stopped trusting (it could not be renewed in time): nobody took it,
      // so it is ours again by compare-and-set on that very revision.
      mineEarlier.push(lease);
    } else if (lease.ageMs >= (lease.record?.ttlMs ?? input.ttlMs)) stale.push(lease);
  }

  const holding = input.owned.size - taken.length;
  const claim: { partition: number; revision: number }[] = [];
  if (input.claiming && holding < quota) {
    // Start at a different place per instance so that instances claiming at once rarely race for one key.
    const offset = fnv1a32(input.instanceId) % Math.max(1, input.count);
    const rotate = (a: LeaseObservation, b: LeaseObservation): number =>
      ((a.partition - offset + input.count) % input.count) -
      ((b.partition - offset + input.count) % input.count);
    const candidates = [...mineEarlier, ...free.sort(rotate), ...stale.sort(rotate)];
    for (const c of candidates.slice(0, quota - holding)) {
      claim.push({ partition: c.partition, revision: c.revision });
    }
  }

  let release: number[] = [];
  if (input.claiming && input.releasing.size === 0 && holding > quota) {
    // The highest-numbered ones: any choice is correct, a fixed one makes hand-overs easy to follow in logs.
    release = renew
      .map((r) => r.partition)
      .sort((a, b) => b - a)
      .slice(0, holding - quota);
  }
  return { live, quota, taken, renew, claim, release, deadHeartbeats };
}
