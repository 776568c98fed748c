import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ChurnflowError } from '../../src/contract/codes.js';
import { createPartitionLeases, type PartitionOwnership } from '../../src/partitions/index.js';
import { natsFixture, uniqueName, type NatsFixture } from '../helpers/nats.js';

/**
 * A lease bucket whose stream exists but does not take writes yet — what a second instance sees when it opens the
 * bucket while the first is still creating it. The window is held open on purpose: the bucket's stream is created
 * bound to other subjects and bound to its own only after a delay.
 */

let fx: NatsFixture;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  fx = await natsFixture();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await fx?.[Symbol.asyncDispose]();
});

/** Creates the stream of bucket `bucket` bound to subjects no KV operation uses. */
async function bucketNotTakingWrites(bucket: string): Promise<() => Promise<void>> {
  const jsm = await jetstreamManager(fx.nc);
  const name = `KV_${bucket}`;
  await jsm.streams.add({
    name,
    subjects: [`held.${bucket}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    allow_rollup_hdrs: true,
    deny_delete: true,
  });
  return async () => {
    await jsm.streams.update(name, { subjects: [`$KV.${bucket}.>`] });
  };
}

async function leases(bucket: string, instanceId: string): Promise<PartitionOwnership> {
  const nc = await connect({ servers: fx.server.url });
  connections.push(nc);
  return createPartitionLeases({ nc, bucket, count: 4, instanceId, leaseTtlMs: 1_500, renewMs: 250 });
}

describe('a lease bucket that does not take writes yet', () => {
  it('is waited for: instances that open it in that window start and split the partitions', async () => {
    const bucket = uniqueName('leases');
    const bind = await bucketNotTakingWrites(bucket);
    const a = await leases(bucket, 'a');
    const b = await leases(bucket, 'b');
    const started = Promise.all([a.start(), b.start()]);
    await new Promise((r) => setTimeout(r, 400));
    await bind();
    await started;
    const deadline = performance.now() + 5_000;
    while (a.owned().length + b.owned().length < 4 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect([...a.owned(), ...b.owned()].sort()).toEqual([0, 1, 2, 3]);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('is given up on with a coded refusal when it never takes writes', async () => {
    const bucket = uniqueName('leases');
    await bucketNotTakingWrites(bucket);
    const a = await leases(bucket, 'a');
    const began = performance.now();
    const err = await a.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChurnflowError);
    expect((err as ChurnflowError).code).toBe('PARTITION_LEASES_UNAVAILABLE');
    expect(performance.now() - began).toBeGreaterThanOrEqual(4_500);
    expect(a.state()).toBe('stopped');
  }, 15_000);
});
