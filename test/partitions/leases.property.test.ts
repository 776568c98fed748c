import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Subscription, type SchedulerLike } from 'rxjs';
import { createPartitionLeases, type PartitionOwnership } from '../../src/partitions/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

/**
 * Random joins, rounds, graceful stops, crashes and pauses of lease managers over one real KV bucket, on virtual
 * time: each manager's clock is the shared virtual time with its own offset (hours apart) and rate (±1 %), its
 * timers never fire on their own, and the test decides who runs a round when. After every step no partition is
 * held by two managers (a paused one included: it would act on its belief as soon as it resumes); at the end,
 * after a few renewal periods, every partition is held by exactly one running manager, each within its fair share.
 */

const P = 8;
const TTL = 10_000;
const RENEW = 3_000;

let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => fx?.[Symbol.asyncDispose]());

/** Timers that never fire: rounds happen when the test calls `reconcile()`. */
function idleScheduler(now: () => number): SchedulerLike {
  return { now, schedule: () => new Subscription() };
}

type Step =
  | { readonly kind: 'join' }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'round' | 'stop' | 'crash' | 'pause' | 'resume'; readonly who: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step>({ kind: 'join' }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 * TTL }).map((ms): Step => ({ kind: 'advance', ms })) },
  {
    weight: 8,
    arbitrary: fc.nat(7).map((who): Step => ({ kind: 'round', who })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('stop', 'crash', 'pause', 'resume') as fc.Arbitrary<'stop'>, fc.nat(7))
      .map(([kind, who]): Step => ({ kind, who })),
  },
);

interface Member {
  readonly m: PartitionOwnership;
  status: 'running' | 'paused' | 'crashed' | 'stopped';
  /** What its events say it holds. */
  readonly byEvents: Set<number>;
}

let run = 0;
const stats: Array<{ members: number; running: number }> = [];

async function scenario(steps: readonly Step[], clocks: ReadonlyArray<{ offset: number; rate: number }>) {
  const bucket = uniqueName(`prop${run++}`);
  let virtual = 0;
  const members: Member[] = [];
  const pick = (who: number, ok: (s: Member['status']) => boolean): Member | undefined => {
    const eligible = members.filter((x) => ok(x.status));
    return eligible.length === 0 ? undefined : eligible[who % eligible.length];
  };
  const join = async (): Promise<void> => {
    const clock = clocks[members.length % clocks.length]!;
    const now = () => clock.offset + clock.rate * virtual;
    const m = createPartitionLeases({
      nc: fx.nc,
      bucket,
      count: P,
      instanceId: `i${members.length}`,
      leaseTtlMs: TTL,
      renewMs: RENEW,
      clock: now,
      scheduler: idleScheduler(now),
      watch: false,
    });
    const member: Member = { m, status: 'running', byEvents: new Set() };
    m.changes.subscribe((c) => {
      if (c.kind === 'acquired') member.byEvents.add(c.partition);
      else member.byEvents.delete(c.partition);
    });
    members.push(member);
    await m.start();
  };
  const checkSafety = (): void => {
    for (let p = 0; p < P; p++) {
      const holders = members.filter((x) => x.m.owns(p)).map((x) => x.m.instanceId);
      expect(
        holders.length,
        `partition ${p} held by ${holders.join(', ')} at ${virtual}`,
      ).toBeLessThanOrEqual(1);
    }
  };
  const round = async (x: Member): Promise<void> => {
    await x.m.reconcile();
    // Right after its round a manager's events and its own view agree.
    expect([...x.byEvents].sort((a, b) => a - b)).toEqual(x.m.owned());
  };

  for (const step of steps) {
    switch (step.kind) {
      case 'join':
        if (members.length < 5) await join();
        break;
      case 'advance':
        virtual += step.ms;
        break;
      case 'round': {
        const x = pick(step.who, (s) => s === 'running');
        if (x !== undefined) await round(x);
        break;
      }
      case 'stop': {
        const x = pick(step.who, (s) => s === 'running');
        if (x !== undefined && members.filter((y) => y.status === 'running').length > 1) {
          await x.m.stop();
          x.status = 'stopped';
          expect(x.byEvents.size).toBe(0);
        }
        break;
      }
      case 'crash':
      case 'pause': {
        const x = pick(step.who, (s) => s === 'running');
        if (x !== undefined && members.filter((y) => y.status === 'running').length > 1) {
          x.status = step.kind === 'crash' ? 'crashed' : 'paused';
        }
        break;
      }
      case 'resume': {
        const x = pick(step.who, (s) => s === 'paused');
        if (x !== undefined) x.status = 'running';
        break;
      }
    }
    checkSafety();
  }

  // Liveness: paused ones resume, every running one keeps its rounds; after the dead go stale all is owned fairly.
  if (members.length === 0) await join();
  for (const x of members) if (x.status === 'paused') x.status = 'running';
  const running = members.filter((x) => x.status === 'running');
  for (let i = 0; i < Math.ceil(TTL / RENEW) + 4; i++) {
    virtual += RENEW;
    for (const x of running) await round(x);
    checkSafety();
  }
  const counts = running.map((x) => x.m.owned().length);
  const all = running.flatMap((x) => x.m.owned()).sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: P }, (_, p) => p));
  expect(Math.max(...counts)).toBeLessThanOrEqual(Math.ceil(P / running.length));
  expect(Math.min(...counts)).toBeGreaterThanOrEqual(Math.floor(P / running.length));
  stats.push({ members: members.length, running: running.length });
  await Promise.all(members.map((x) => x.m.stop()));
}

describe('partition leases under random joins, stops, crashes and pauses (virtual time, real KV)', () => {
  it('never two holders of a partition; everything fairly owned once things settle', async () => {
    const clockArb = fc.record({
      offset: fc.integer({ min: -3_600_000, max: 3_600_000 }),
      rate: fc.double({ min: 0.99, max: 1.01, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(
        // Two instances from the start, then anything.
        fc
          .array(stepArb, { minLength: 20, maxLength: 60 })
          .map((s): Step[] => [{ kind: 'join' }, { kind: 'join' }, ...s]),
        fc.array(clockArb, { minLength: 5, maxLength: 5 }),
        scenario,
      ),
      { numRuns: 25 },
    );
    // The runs did exercise several instances at once, not mostly one.
    expect(stats.filter((s) => s.members >= 3).length).toBeGreaterThan(5);
    expect(stats.filter((s) => s.running >= 2).length).toBeGreaterThan(5);
  }, 180_000);
});
