import { randomUUID } from 'node:crypto';
import { Subject, asyncScheduler, interval, type SchedulerLike, type Subscription } from 'rxjs';
import { JetStreamApiCodes, JetStreamApiError, jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ChurnflowError } from '../contract/codes.js';
import type { Logger } from '../log/index.js';
import { planRound, RevisionAges, type HeartbeatObservation, type LeaseObservation } from './lease-plan.js';
import {
  COUNT_KEY,
  HEARTBEAT_KEYS,
  decodeCount,
  decodeHeartbeat,
  decodeLease,
  encodeRecord,
  heartbeatKey,
  instanceOfHeartbeatKey,
  leaseKey,
} from './lease-records.js';
import { FIRST_WRITE_WITHIN_MS, whenBucketTakesWrites } from './bucket-ready.js';
import { MIN_TTL_RENEWALS } from './options.js';
import type { LeaseChange, LostReason, OwnershipState, PartitionOwnership, ReleaseHook } from './types.js';

/** Options of {@link createPartitionLeases}. */
export interface PartitionLeasesOptions {
  /** The connection the bucket is reached through. */
  readonly nc: NatsConnection;
  /** The KV bucket shared by every instance (created when missing). */
  readonly bucket: string;
  /** P. Every instance on the bucket must use the same (checked at start). */
  readonly count: number;
  /** This instance's id: a KV key token, unique among running instances. */
  readonly instanceId: string;
  /** A lease unrenewed this long may be taken over; at least 3 × renewMs (ms). */
  readonly leaseTtlMs: number;
  /** Period of renewal, claim and release rounds (ms). */
  readonly renewMs: number;
  /** Awaited before a partition is handed back voluntarily; see {@link ReleaseHook}. Default: nothing to do. */
  readonly onRelease?: ReleaseHook;
  /** Milliseconds of a monotonic clock (default: `performance.timeOrigin + performance.now()`). */
  readonly clock?: () => number;
  /** Timers of the rounds and of lease validity (default: rxjs `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Watch the bucket and run a round at once when a key is deleted or an instance appears (default true). */
  readonly watch?: boolean;
  readonly log?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * How long the bucket keeps a key nobody writes (JetStream max age): live leases and heartbeats are rewritten every
 * renewal period and never reach it; delete markers and keys of long-dead instances are dropped after it.
 */
export const LEASE_BUCKET_MAX_AGE_MS = 86_400_000;

const monotonic = (): number => performance.timeOrigin + performance.now();

/** A compare-and-set that found another revision than the one it expected. */
function isConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

interface Held {
  /** The revision of our last write of the lease. */
  revision: number;
  /** Until when (our clock) we trust the lease: our last successful write was sent at validUntil - validity. */
  validUntil: number;
}

/**
 * Partition leases in a NATS KV bucket, one key per partition: an instance claims free or stale partitions up to
 * its fair share, renews them by compare-and-set every `renewMs`, hands extra ones back when instances join,
 * and reports every change on {@link PartitionOwnership.changes}. See docs/partitions.md for the protocol.
 */
export function createPartitionLeases(opts: PartitionLeasesOptions): PartitionOwnership {
  return new PartitionLeases(opts);
}

class PartitionLeases implements PartitionOwnership {
  readonly instanceId: string;
  readonly count: number;
  private readonly subject = new Subject<LeaseChange>();
  readonly changes = this.subject.asObservable();
  private readonly session = randomUUID();
  private readonly clock: () => number;
  private readonly scheduler: SchedulerLike;
  /** How long after sending a successful write we trust a lease: one renewal period less than others wait. */
  private readonly validityMs: number;
  private readonly held = new Map<number, Held>();
  /** Partitions whose release hook runs (still held). */
  private readonly releasing = new Map<number, Promise<void>>();
  /** Partitions whose hook is done: deleted by the next round. */
  private readonly readyToRelease = new Set<number>();
  /** Released partitions whose delete failed (not a conflict): retried by later rounds. */
  private readonly undeleted = new Map<number, number>();
  private readonly ages = new RevisionAges();
  private live = new Set<string>();
  private lifecycle: OwnershipState = 'idle';
  private kv: KV | undefined;
  private jsm!: JetStreamManager;
  private current: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private timer: Subscription | undefined;
  private fenceTimer: Subscription | undefined;
  private stopWatch: (() => void) | undefined;
  private starting: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private closing = false;

  constructor(private readonly opts: PartitionLeasesOptions) {
    if (!Number.isInteger(opts.count) || opts.count < 1) {
      throw new RangeError(`partition count must be an integer >= 1, got ${opts.count}`);
    }
    if (opts.leaseTtlMs < MIN_TTL_RENEWALS * opts.renewMs) {
      throw new RangeError(`leaseTtlMs (${opts.leaseTtlMs}) must be at least ${MIN_TTL_RENEWALS} × renewMs`);
    }
    this.instanceId = opts.instanceId;
    this.count = opts.count;
    this.clock = opts.clock ?? monotonic;
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.validityMs = opts.leaseTtlMs - opts.renewMs;
  }

  state(): OwnershipState {
    return this.lifecycle;
  }

  owned(): readonly number[] {
    const now = this.clock();
    const out: number[] = [];
    for (const [p, h] of this.held) if (h.validUntil > now) out.push(p);
    return out.sort((a, b) => a - b);
  }

  owns(partition: number): boolean {
    const h = this.held.get(partition);
    return h !== undefined && h.validUntil > this.clock();
  }

  start(): Promise<void> {
    if (this.lifecycle !== 'idle') return this.starting ?? Promise.resolve();
    this.lifecycle = 'running';
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    const kv = await this.openBucket();
    await this.checkCount(kv);
    if (this.opts.watch !== false) {
      this.stopWatch = await this.watch(kv).catch((err: unknown) => Promise.reject(this.unavailable(err)));
    }
    this.kv = kv;
    await this.reconcile();
    this.timer = interval(this.opts.renewMs, this.scheduler).subscribe(() => void this.reconcile());
  }

  reconcile(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const run = this.current.then(() => {
      this.queued = undefined;
      return this.round();
    });
    this.queued = run;
    this.current = run.catch(() => undefined);
    return run;
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    // A start under way finishes first (or fails): then there is one state to wind down.
    await this.starting?.catch(() => undefined);
    const wasRunning = this.lifecycle === 'running';
    this.lifecycle = 'stopping';
    if (wasRunning) {
      // Rounds go on renewing while the hooks run (a snapshot may take longer than a lease lives), but claim nothing.
      await this.current;
      for (const p of this.held.keys()) this.beginRelease(p);
      await Promise.all(this.releasing.values());
      await this.reconcile();
    }
    // No round after this one: a late one would write the heartbeat again after we delete it.
    this.closing = true;
    await this.current;
    this.timer?.unsubscribe();
    this.fenceTimer?.unsubscribe();
    this.stopWatch?.();
    if (this.kv !== undefined) {
      await this.kv
        .delete(heartbeatKey(this.instanceId))
        .catch((err: unknown) => this.warn(err, 'heartbeat'));
    }
    // A lease whose delete failed is left to expire; the engine stopped working on it in the hook.
    for (const p of [...this.held.keys()]) this.lose(p, 'expired');
    this.lifecycle = 'stopped';
    this.subject.complete();
  }

  private async openBucket(): Promise<KV> {
    const timeout = Math.min(5_000, Math.max(1_000, this.opts.renewMs));
    try {
      const js = jetstream(this.opts.nc, { timeout });
      this.jsm = await js.jetstreamManager();
      return await new Kvm(js).create(this.opts.bucket, {
        history: 1,
        ttl: LEASE_BUCKET_MAX_AGE_MS,
        description: 'churnflow partition leases (docs/partitions.md)',
      });
    } catch (cause) {
      this.lifecycle = 'stopped';
      throw new ChurnflowError(
        'PARTITION_LEASES_UNAVAILABLE',
        `partition lease bucket ${this.opts.bucket} could not be created or opened: ${String(cause)}`,
        {},
        { cause },
      );
    }
  }

  /** Every instance must spread customers over the same P, or two could own one customer. */
  private async checkCount(kv: KV): Promise<void> {
    const mine = encodeRecord({ count: this.count });
    try {
      await whenBucketTakesWrites(() => kv.create(COUNT_KEY, mine), FIRST_WRITE_WITHIN_MS);
      return;
    } catch (err) {
      if (!isConflict(err)) throw this.unavailable(err);
    }
    const entry = await kv.get(COUNT_KEY).catch((err: unknown) => Promise.reject(this.unavailable(err)));
    const theirs = entry === null || entry.operation !== 'PUT' ? undefined : decodeCount(entry.value);
    if (theirs !== undefined && theirs !== this.count) {
      this.lifecycle = 'stopped';
      throw new ChurnflowError(
        'PARTITION_COUNT_MISMATCH',
        `partitions.count is ${this.count} but the instances on lease bucket ${this.opts.bucket} use ${theirs}`,
        { key: 'partitions.count' },
      );
    }
  }

  private unavailable(cause: unknown): ChurnflowError {
    this.lifecycle = 'stopped';
    return new ChurnflowError(
      'PARTITION_LEASES_UNAVAILABLE',
      `partition lease bucket ${this.opts.bucket}: ${String(cause)}`,
      {},
      { cause },
    );
  }

  /** Between rounds: note every new revision as it is written, and react at once to deletes and newcomers. */
  private async watch(kv: KV): Promise<() => void> {
    const iter = await kv.watch({ include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const e of iter) {
        if (e.operation === 'PUT') {
          this.ages.observe(e.key, e.revision, this.clock());
          const instance = instanceOfHeartbeatKey(e.key);
          if (instance !== undefined && !this.live.has(instance)) this.requestRound();
        } else {
          this.ages.forget(e.key);
          this.requestRound();
        }
      }
    })().catch((err: unknown) => this.warn(err, 'watch'));
    return () => iter.stop();
  }

  /** A round soon, on the scheduler (so that tests on virtual time decide when). */
  private requestRound(): void {
    if (this.lifecycle !== 'running' && this.lifecycle !== 'stopping') return;
    this.scheduler.schedule(() => void this.reconcile(), 0);
  }

  private async round(): Promise<void> {
    try {
      await this.roundOnce();
    } catch (err) {
      this.warn(err, 'round');
    }
  }

  private async roundOnce(): Promise<void> {
    const kv = this.kv;
    if (kv === undefined || this.closing || this.lifecycle === 'idle' || this.lifecycle === 'stopped') return;
    this.fence();
    const claiming = this.lifecycle === 'running';
    const now = this.clock();
    const beat = { instance: this.instanceId, session: this.session, ttlMs: this.opts.leaseTtlMs };
    await Promise.all([
      kv.put(heartbeatKey(this.instanceId), encodeRecord({ ...beat, expiresAt: now + this.opts.leaseTtlMs })),
      // Refreshed so that the bucket's max age never drops it while instances run.
      claiming ? kv.put(COUNT_KEY, encodeRecord({ count: this.count })) : undefined,
    ]).catch((err: unknown) => this.warn(err, 'heartbeat'));
    let leases: LeaseObservation[];
    let heartbeats: HeartbeatObservation[];
    try {
      [leases, heartbeats] = await Promise.all([this.readLeases(kv), this.readHeartbeats(kv)]);
    } catch (err) {
      this.warn(err, 'read');
      this.scheduleFence();
      return;
    }
    this.fence();
    const owned = new Map<number, number>();
    for (const [p, h] of this.held) owned.set(p, h.revision);
    const releasing = new Set([...this.releasing.keys(), ...this.undeleted.keys()]);
    const plan = planRound({
      count: this.count,
      instanceId: this.instanceId,
      session: this.session,
      ttlMs: this.opts.leaseTtlMs,
      owned,
      releasing,
      claiming,
      leases,
      heartbeats,
    });
    this.live = new Set(plan.live);
    for (const p of plan.taken) this.lose(p, 'taken');
    await Promise.all([
      ...plan.renew.map((r) =>
        this.readyToRelease.has(r.partition) ? this.release(kv, r.partition, r.revision) : this.renew(kv, r),
      ),
      ...[...this.undeleted].map(([p, revision]) => this.deleteLease(kv, p, revision)),
      ...plan.claim.map((c) => this.claim(kv, c)),
      ...plan.deadHeartbeats.map((h) =>
        kv.delete(heartbeatKey(h.instance), { previousSeq: h.revision }).catch(() => undefined),
      ),
    ]);
    for (const p of plan.release) this.beginRelease(p);
    this.scheduleFence();
  }

  private async readLeases(kv: KV): Promise<LeaseObservation[]> {
    const partitions = Array.from({ length: this.count }, (_, p) => p);
    const entries = await Promise.all(partitions.map((p) => kv.get(leaseKey(p))));
    const now = this.clock();
    return entries.map((e, p) => {
      const key = leaseKey(p);
      if (e === null || e.operation !== 'PUT') {
        this.ages.forget(key);
        return { partition: p, revision: e?.revision ?? 0, free: true, record: undefined, ageMs: 0 };
      }
      const ageMs = this.ages.observe(key, e.revision, now);
      return { partition: p, revision: e.revision, free: false, record: decodeLease(e.value), ageMs };
    });
  }

  private async readHeartbeats(kv: KV): Promise<HeartbeatObservation[]> {
    // One stream-info request lists the heartbeat subjects. Not kv.keys(): that creates a consumer every round and
    // may wait for its idle heartbeat (5 s) while keys keep changing, longer than a lease is trusted.
    const prefix = `$KV.${this.opts.bucket}.`;
    const info = await this.jsm.streams.info(`KV_${this.opts.bucket}`, {
      subjects_filter: prefix + HEARTBEAT_KEYS,
    });
    const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length));
    const entries = await Promise.all(keys.map((k) => kv.get(k)));
    const now = this.clock();
    const out: HeartbeatObservation[] = [];
    for (const e of entries) {
      if (e === null) continue;
      const instance = instanceOfHeartbeatKey(e.key);
      if (e.operation !== 'PUT' || instance === undefined) {
        this.ages.forget(e.key);
        continue;
      }
      const ttlMs = decodeHeartbeat(e.value)?.ttlMs ?? this.opts.leaseTtlMs;
      out.push({ instance, revision: e.revision, ttlMs, ageMs: this.ages.observe(e.key, e.revision, now) });
    }
    return out;
  }

  private leaseValue(sentAt: number): Uint8Array {
    const ttlMs = this.opts.leaseTtlMs;
    return encodeRecord({ owner: this.instanceId, session: this.session, ttlMs, expiresAt: sentAt + ttlMs });
  }

  private async renew(kv: KV, r: { partition: number; revision: number }): Promise<void> {
    const sentAt = this.clock();
    try {
      const revision = await kv.update(leaseKey(r.partition), this.leaseValue(sentAt), r.revision);
      const h = this.held.get(r.partition);
      // Lost meanwhile (validity ran out while the write was under way): the next round takes it back.
      if (h !== undefined && h.revision === r.revision) {
        h.revision = revision;
        h.validUntil = sentAt + this.validityMs;
      }
    } catch (err) {
      if (isConflict(err)) this.lose(r.partition, 'taken');
      else this.warn(err, 'renew', r.partition);
    }
  }

  private async claim(kv: KV, c: { partition: number; revision: number }): Promise<void> {
    const sentAt = this.clock();
    const key = leaseKey(c.partition);
    try {
      const value = this.leaseValue(sentAt);
      const revision =
        c.revision === 0 ? await kv.create(key, value) : await kv.update(key, value, c.revision);
      this.held.set(c.partition, { revision, validUntil: sentAt + this.validityMs });
      this.subject.next({ kind: 'acquired', partition: c.partition, revision });
    } catch (err) {
      // A conflict: another instance claimed it first, which is fine.
      if (!isConflict(err)) this.warn(err, 'claim', c.partition);
    }
  }

  private beginRelease(partition: number): void {
    if (this.releasing.has(partition) || !this.held.has(partition)) return;
    const hook = this.opts.onRelease ?? (() => Promise.resolve());
    const run = hook(partition)
      .catch((err: unknown) => this.warn(err, 'release hook', partition))
      .then(() => {
        this.releasing.delete(partition);
        if (this.held.has(partition)) this.readyToRelease.add(partition);
        this.requestRound();
      });
    this.releasing.set(partition, run);
  }

  /** Stops owning first (the engine has stopped the partition), then deletes the key by compare-and-set. */
  private async release(kv: KV, partition: number, revision: number): Promise<void> {
    this.held.delete(partition);
    this.readyToRelease.delete(partition);
    this.subject.next({ kind: 'released', partition });
    await this.deleteLease(kv, partition, revision);
  }

  private async deleteLease(kv: KV, partition: number, revision: number): Promise<void> {
    try {
      await kv.delete(leaseKey(partition), { previousSeq: revision });
      this.undeleted.delete(partition);
    } catch (err) {
      if (isConflict(err)) this.undeleted.delete(partition);
      else {
        this.undeleted.set(partition, revision);
        this.warn(err, 'release', partition);
      }
    }
  }

  private lose(partition: number, reason: LostReason): void {
    if (!this.held.delete(partition)) return;
    this.releasing.delete(partition);
    this.readyToRelease.delete(partition);
    this.subject.next({ kind: 'lost', partition, reason });
  }

  /** Stops trusting every lease whose last successful write is too old: others may take it over soon. */
  private fence(): void {
    const now = this.clock();
    for (const [p, h] of [...this.held]) if (h.validUntil <= now) this.lose(p, 'expired');
  }

  private scheduleFence(): void {
    this.fenceTimer?.unsubscribe();
    if (this.held.size === 0 || this.lifecycle === 'stopped') return;
    const next = Math.min(...[...this.held.values()].map((h) => h.validUntil));
    this.fenceTimer = this.scheduler.schedule(
      () => {
        this.fence();
        this.scheduleFence();
      },
      Math.max(0, next - this.clock()),
    );
  }

  private warn(err: unknown, what: string, partition?: number): void {
    this.opts.log?.warn(
      { err, bucket: this.opts.bucket, instanceId: this.instanceId, partition },
      `partition leases: ${what} failed (retried next round)`,
    );
  }
}
