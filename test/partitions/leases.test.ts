import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm, KvWatchInclude } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ChurnflowError } from '../../src/contract/codes.js';
import {
  createPartitionLeases,
  type LeaseChange,
  type PartitionLeasesOptions,
  type PartitionOwnership,
} from '../../src/partitions/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

/**
 * Lease managers on real time against a real nats-server (2.9), each on its own connection as separate processes
 * would be. Short periods keep the file quick: a lease lives 1.5 s and is renewed every 250 ms.
 */

const TTL = 1_500;
const RENEW = 250;
const P = 8;

let fx: NatsFixture;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await fx?.[Symbol.asyncDispose]();
});

/** Every event of every manager, in the one order this process saw them. */
interface Logged {
  readonly at: number;
  readonly instance: string;
  readonly change: LeaseChange;
}

async function manager(
  bucket: string,
  instanceId: string,
  log: Logged[],
  extra: Partial<PartitionLeasesOptions> = {},
): Promise<{ m: PartitionOwnership; nc: NatsConnection }> {
  const nc = await connect({ servers: fx.server.url });
  connections.push(nc);
  const m = createPartitionLeases({
    nc,
    bucket,
    count: P,
    instanceId,
    leaseTtlMs: TTL,
    renewMs: RENEW,
    ...extra,
  });
  m.changes.subscribe((change) => log.push({ at: performance.now(), instance: instanceId, change }));
  return { m, nc };
}

async function until(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

/**
 * Replays the log into ownership intervals and checks that no partition was ever believed owned by two instances
 * at once: an `acquired` of p must come after the previous holder's `released` or `lost` of p.
 */
function expectNoOverlap(log: readonly Logged[]): void {
  const holder = new Map<number, string>();
  for (const { instance, change } of log) {
    const p = change.partition;
    if (change.kind === 'acquired') {
      expect(holder.get(p), `partition ${p} acquired by ${instance} while held`).toBeUndefined();
      holder.set(p, instance);
    } else {
      expect(holder.get(p), `partition ${p} given up by ${instance}, who did not hold it`).toBe(instance);
      holder.delete(p);
    }
  }
}

describe('partition leases on a real nats-server', () => {
  it('two instances split P = 8 as 4/4; a graceful stop hands all 8 to the other at once', async () => {
    const bucket = uniqueName('leases');
    const log: Logged[] = [];
    const released: number[] = [];
    const a = await manager(bucket, 'a', log, {
      onRelease: (p) => {
        released.push(p);
        return Promise.resolve();
      },
    });
    const b = await manager(bucket, 'b', log);
    await Promise.all([a.m.start(), b.m.start()]);
    await until('4/4', () => a.m.owned().length === 4 && b.m.owned().length === 4);
    expect([...a.m.owned(), ...b.m.owned()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    const aHad = a.m.owned();
    const releasedBefore = released.length;
    await a.m.stop();
    expect(a.m.state()).toBe('stopped');
    expect(a.m.owned()).toEqual([]);
    // The hook ran for each partition before it was handed back.
    expect(released.slice(releasedBefore).sort()).toEqual([...aHad]);
    // "At once": the watch sees the deletes; no waiting for a renewal period, let alone a lease's life.
    const took = await until('b owns 8', () => b.m.owned().length === 8);
    expect(took).toBeLessThan(RENEW);
    await b.m.stop();
    expectNoOverlap(log);
  });

  it('an instance that dies without releasing (its connection cut) loses its partitions to the other within TTL + one renewal', async () => {
    const bucket = uniqueName('leases');
    const log: Logged[] = [];
    const a = await manager(bucket, 'a', log);
    const b = await manager(bucket, 'b', log);
    await a.m.start();
    await b.m.start();
    await until('4/4', () => a.m.owned().length === 4 && b.m.owned().length === 4);
    const aHad = a.m.owned();
    const killedAt = performance.now();
    // Nothing of a reaches the server any more: no renewal, no release, no heartbeat.
    await a.nc.close();
    const took = await until('b owns 8', () => b.m.owned().length === 8);
    expect(took).toBeLessThan(TTL + 2 * RENEW);
    // a stopped trusting each lease (one renewal period before it could go stale) before b took it over.
    for (const p of aHad) {
      const after = log.filter((l) => l.at >= killedAt && l.change.partition === p);
      expect(after.map((l) => [l.instance, l.change.kind])).toEqual([
        ['a', 'lost'],
        ['b', 'acquired'],
      ]);
      expect(after[0]!.change).toMatchObject({ reason: 'expired' });
    }
    expectNoOverlap(log);
    await b.m.stop();
    await a.m.stop();
  });

  it('a third instance joins: the others hand partitions over toward 3/3/2, never two owners at once', async () => {
    const bucket = uniqueName('leases');
    const log: Logged[] = [];
    // Hand-overs take time in the engine (a snapshot): the hook is slow, and the lease must hold meanwhile.
    const slow = () => new Promise<void>((r) => setTimeout(r, 2 * RENEW));
    const a = await manager(bucket, 'a', log, { onRelease: slow });
    const b = await manager(bucket, 'b', log, { onRelease: slow });
    await Promise.all([a.m.start(), b.m.start()]);
    await until('4/4', () => a.m.owned().length === 4 && b.m.owned().length === 4);

    // Who the bucket says owns what, as every change happens.
    const kv = await new Kvm(fx.nc).open(bucket);
    const ownersSeen: Array<{ partition: number; owner: string | undefined }> = [];
    const watch = await kv.watch({ key: 'leases.>', include: KvWatchInclude.UpdatesOnly });
    const watching = (async () => {
      for await (const e of watch) {
        const owner = e.operation === 'PUT' ? e.json<{ owner: string }>().owner : undefined;
        ownersSeen.push({ partition: Number(e.key.slice('leases.'.length)), owner });
      }
    })();

    const c = await manager(bucket, 'c', log);
    const joinedAt = performance.now();
    await c.m.start();
    await until('3/3/2', () => {
      const counts = [a, b, c].map((x) => x.m.owned().length).sort();
      return counts.join() === '2,3,3';
    });
    expect([...a.m.owned(), ...b.m.owned(), ...c.m.owned()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expectNoOverlap(log);
    // Every hand-over went through a delete: the bucket never showed one owner replaced by another.
    const last = new Map<number, string | undefined>();
    for (const s of ownersSeen) {
      const before = last.get(s.partition);
      if (before !== undefined && s.owner !== undefined)
        expect(s.owner, `partition ${s.partition}`).toBe(before);
      last.set(s.partition, s.owner);
    }
    // One partition each from a and b, handed over once: no churn.
    const handedOver = log.filter((l) => l.at >= joinedAt && l.change.kind === 'released');
    expect(handedOver.map((l) => l.instance).sort()).toEqual(['a', 'b']);
    expect(log.filter((l) => l.change.kind === 'lost')).toEqual([]);
    watch.stop();
    await watching;
    await Promise.all([a.m.stop(), b.m.stop(), c.m.stop()]);
    expectNoOverlap(log);
  });

  it('a release hook longer than a lease lives: the lease is renewed meanwhile and handed over only after it', async () => {
    const bucket = uniqueName('leases');
    const log: Logged[] = [];
    let hookDone = 0;
    let hookMs = 2 * TTL;
    const a = await manager(bucket, 'a', log, {
      onRelease: () =>
        new Promise<void>((r) =>
          setTimeout(() => {
            hookDone = performance.now();
            r();
          }, hookMs),
        ),
    });
    await a.m.start();
    expect(a.m.owned()).toHaveLength(8);
    const b = await manager(bucket, 'b', log);
    await b.m.start();
    await until('4/4', () => b.m.owned().length === 4, 4 * TTL);
    expect(log.filter((l) => l.change.kind === 'lost')).toEqual([]);
    const firstAcquiredByB = Math.min(...log.filter((l) => l.instance === 'b').map((l) => l.at));
    expect(firstAcquiredByB).toBeGreaterThanOrEqual(hookDone);
    expectNoOverlap(log);
    hookMs = 0;
    await Promise.all([a.m.stop(), b.m.stop()]);
  }, 20_000);

  it('a lease deleted under its owner (an operator) is lost at once as taken, then claimed again', async () => {
    const bucket = uniqueName('leases');
    const log: Logged[] = [];
    const a = await manager(bucket, 'a', log);
    await a.m.start();
    await new Kvm(fx.nc).open(bucket).then((kv) => kv.delete('leases.3'));
    await until('taken and back', () => log.filter((l) => l.change.partition === 3).length === 3);
    expect(log.filter((l) => l.change.partition === 3).map((l) => l.change)).toEqual([
      { kind: 'acquired', partition: 3, revision: expect.any(Number) as number },
      { kind: 'lost', partition: 3, reason: 'taken' },
      { kind: 'acquired', partition: 3, revision: expect.any(Number) as number },
    ]);
    expect(a.m.owned()).toHaveLength(8);
    await a.m.stop();
  });

  it('a stop while starting winds down cleanly', async () => {
    const bucket = uniqueName('leases');
    const a = await manager(bucket, 'a', []);
    const started = a.m.start();
    await a.m.stop();
    await started;
    expect(a.m.state()).toBe('stopped');
    expect(a.m.owned()).toEqual([]);
    const kv = await new Kvm(fx.nc).open(bucket);
    expect(await kv.get('instances.a').then((e) => e?.operation ?? 'absent')).not.toBe('PUT');
  });

  it('refuses to start with another partition count than the instances on the bucket', async () => {
    const bucket = uniqueName('leases');
    const log: Logged[] = [];
    const a = await manager(bucket, 'a', log);
    await a.m.start();
    const other = createPartitionLeases({
      nc: fx.nc,
      bucket,
      count: 4,
      instanceId: 'z',
      leaseTtlMs: TTL,
      renewMs: RENEW,
    });
    const err = await other.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChurnflowError);
    expect((err as ChurnflowError).code).toBe('PARTITION_COUNT_MISMATCH');
    expect((err as ChurnflowError).context.key).toBe('partitions.count');
    await other.stop();
    await a.m.stop();
  });
});
