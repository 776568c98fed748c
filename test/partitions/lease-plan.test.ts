import { describe, expect, it } from 'vitest';
import {
  RevisionAges,
  fairShare,
  planRound,
  type LeaseObservation,
  type PlanInput,
} from '../../src/partitions/index.js';

const TTL = 10_000;

function lease(partition: number, over: Partial<LeaseObservation> = {}): LeaseObservation {
  return { partition, revision: 0, free: true, record: undefined, ageMs: 0, ...over };
}

function held(partition: number, owner: string, revision: number, ageMs = 0, session = 's-' + owner) {
  return lease(partition, {
    revision,
    free: false,
    record: { owner, session, ttlMs: TTL, expiresAt: 0 },
    ageMs,
  });
}

function input(over: Partial<PlanInput>): PlanInput {
  return {
    count: 8,
    instanceId: 'a',
    session: 's-a',
    ttlMs: TTL,
    owned: new Map(),
    releasing: new Set(),
    claiming: true,
    leases: Array.from({ length: 8 }, (_, p) => lease(p)),
    heartbeats: [],
    ...over,
  };
}

describe('RevisionAges', () => {
  it('measures how long a revision has stayed, on the observer clock, and restarts on a new one', () => {
    const ages = new RevisionAges();
    expect(ages.observe('k', 5, 1_000)).toBe(0);
    expect(ages.observe('k', 5, 4_000)).toBe(3_000);
    expect(ages.observe('k', 6, 5_000)).toBe(0);
    // A late delivery of an older revision changes nothing.
    expect(ages.observe('k', 5, 6_000)).toBe(1_000);
    ages.forget('k');
    expect(ages.observe('k', 6, 7_000)).toBe(0);
  });
});

describe('fairShare', () => {
  it('gives the first P mod n instances (by id) one more, summing to P', () => {
    const live = ['a', 'b', 'c'];
    expect(live.map((id) => fairShare(8, live, id))).toEqual([3, 3, 2]);
    expect(fairShare(8, ['a'], 'a')).toBe(8);
    expect(['a', 'b', 'c', 'd', 'e'].map((id, _, l) => fairShare(8, l, id))).toEqual([2, 2, 2, 1, 1]);
    expect(['a', 'b'].map((id, _, l) => fairShare(1, l, id))).toEqual([1, 0]);
  });
});

describe('planRound', () => {
  it('alone: claims every free partition (creating keys never written, taking over deleted ones)', () => {
    const leases = Array.from({ length: 8 }, (_, p) => (p === 3 ? lease(p, { revision: 42 }) : lease(p)));
    const plan = planRound(input({ leases }));
    expect(plan.live).toEqual(['a']);
    expect(plan.quota).toBe(8);
    expect(plan.claim.map((c) => c.partition).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(plan.claim.find((c) => c.partition === 3)?.revision).toBe(42);
  });

  it('counts every heartbeat not yet stale, itself included, and flags stale ones for deletion', () => {
    const plan = planRound(
      input({
        heartbeats: [
          { instance: 'b', revision: 1, ageMs: 0, ttlMs: TTL },
          { instance: 'c', revision: 2, ageMs: TTL, ttlMs: TTL },
        ],
      }),
    );
    expect(plan.live).toEqual(['a', 'b']);
    expect(plan.quota).toBe(4);
    expect(plan.claim).toHaveLength(4);
    expect(plan.deadHeartbeats).toEqual([{ instance: 'c', revision: 2 }]);
  });

  it('renews its own leases, and gives up at once one whose key moved (taken) or was deleted', () => {
    const owned = new Map([
      [0, 10],
      [1, 11],
      [2, 12],
    ]);
    const leases = [
      held(0, 'a', 10),
      held(1, 'b', 15),
      lease(2, { revision: 13 }),
      ...[3, 4, 5, 6, 7].map((p) => held(p, 'b', p)),
    ];
    const plan = planRound(
      input({ owned, leases, heartbeats: [{ instance: 'b', revision: 1, ageMs: 0, ttlMs: TTL }] }),
    );
    expect(plan.renew).toEqual([{ partition: 0, revision: 10 }]);
    expect([...plan.taken].sort()).toEqual([1, 2]);
    // Holding 1 of a quota of 4, with nothing free or stale: nothing to claim.
    expect(plan.claim).toEqual([]);
  });

  it("takes over a lease only once its revision has stayed for the lease's own TTL", () => {
    const heartbeats = [{ instance: 'b', revision: 1, ageMs: TTL, ttlMs: TTL }];
    const fresh = Array.from({ length: 8 }, (_, p) => held(p, 'b', p + 1, TTL - 1));
    expect(planRound(input({ leases: fresh, heartbeats })).claim).toEqual([]);
    const stale = Array.from({ length: 8 }, (_, p) => held(p, 'b', p + 1, TTL));
    const plan = planRound(input({ leases: stale, heartbeats }));
    expect(plan.claim.map((c) => [c.partition, c.revision]).sort((x, y) => x[0]! - y[0]!)).toEqual(
      stale.map((l) => [l.partition, l.revision]),
    );
  });

  it('takes back at once what it wrote itself in this session but stopped trusting, never an older session', () => {
    const leases = [
      held(0, 'a', 7, 0, 's-a'),
      held(1, 'a', 8, 0, 'earlier-session'),
      ...[2, 3, 4, 5, 6, 7].map((p) => lease(p)),
    ];
    const plan = planRound(input({ leases }));
    expect(plan.claim.map((c) => c.partition)).toContain(0);
    expect(plan.claim.map((c) => c.partition)).not.toContain(1);
    expect(plan.claim[0]).toEqual({ partition: 0, revision: 7 });
  });

  it('hands back what is above its share when an instance joins, highest partitions first, once at a time', () => {
    const owned = new Map([0, 1, 2, 3, 4, 5, 6, 7].map((p) => [p, p + 1] as [number, number]));
    const leases = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => held(p, 'a', p + 1));
    const heartbeats = [
      { instance: 'b', revision: 1, ageMs: 0, ttlMs: TTL },
      { instance: 'c', revision: 2, ageMs: 0, ttlMs: TTL },
    ];
    const plan = planRound(input({ owned, leases, heartbeats }));
    expect(plan.quota).toBe(3);
    expect(plan.release).toEqual([7, 6, 5, 4, 3]);
    expect(planRound(input({ owned, leases, heartbeats, releasing: new Set([7]) })).release).toEqual([]);
  });

  it('claims and hands back nothing while stopping, but still renews', () => {
    const owned = new Map([[0, 1]]);
    const leases = [held(0, 'a', 1), ...[1, 2, 3, 4, 5, 6, 7].map((p) => lease(p))];
    const plan = planRound(input({ owned, leases, claiming: false }));
    expect(plan.claim).toEqual([]);
    expect(plan.release).toEqual([]);
    expect(plan.renew).toEqual([{ partition: 0, revision: 1 }]);
  });

  it('does not claim a partition whose hand-back is still under way', () => {
    const plan = planRound(input({ releasing: new Set([2]) }));
    expect(plan.claim.map((c) => c.partition)).not.toContain(2);
  });

  it('starts claiming at a different partition per instance, so simultaneous claimers rarely collide', () => {
    const first = (id: string) => planRound(input({ instanceId: id })).claim;
    const starts = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => first(id)[0]?.partition));
    expect(starts.size).toBeGreaterThan(1);
  });
});
