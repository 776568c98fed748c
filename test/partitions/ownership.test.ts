import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ChurnflowError } from '../../src/contract/codes.js';
import {
  allPartitions,
  compilePartitionOptions,
  createPartitionOwnership,
  defaultInstanceId,
  type LeaseChange,
} from '../../src/partitions/index.js';

const host = { hostname: 'node-7.cluster.local', pid: 4242 };

describe('the partitions config section', () => {
  it('defaults to one partition, no lease bucket, <hostname>-<pid>', () => {
    const c = compilePartitionOptions(loadConfig({ env: {} }).partitions, host);
    expect(c).toEqual({
      count: 1,
      subjectPrefix: 'pevents',
      instanceId: 'node-7_cluster_local-4242',
      leaseBucket: undefined,
      leaseTtlMs: 10_000,
      renewMs: 3_000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads every key from the environment', () => {
    const c = compilePartitionOptions(
      loadConfig({
        env: {
          CHURNFLOW_PARTITIONS_COUNT: '8',
          CHURNFLOW_PARTITIONS_SUBJECT_PREFIX: 'shop.p',
          CHURNFLOW_PARTITIONS_INSTANCE_ID: 'engine-a',
          CHURNFLOW_PARTITIONS_LEASE_BUCKET: 'churnflow_leases',
          CHURNFLOW_PARTITIONS_LEASE_TTL_MS: '15000',
          CHURNFLOW_PARTITIONS_RENEW_MS: '5000',
        },
      }).partitions,
      host,
    );
    expect(c).toEqual({
      count: 8,
      subjectPrefix: 'shop.p',
      instanceId: 'engine-a',
      leaseBucket: 'churnflow_leases',
      leaseTtlMs: 15_000,
      renewMs: 5_000,
    });
  });

  it.each([
    ['partitions.count', 0],
    ['partitions.instanceId', 'has.dot'],
    ['partitions.instanceId', 'x'.repeat(129)],
    ['partitions.leaseBucket', 'no.dots'],
    ['partitions.subjectPrefix', 'p.>'],
    ['partitions.renewMs', 10],
  ])('refuses a bad %s (%j), naming the key', (key, value) => {
    const err = (() => {
      try {
        loadConfig({ env: {}, overrides: { [key]: value } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ChurnflowError);
    expect((err as ChurnflowError).context.key).toBe(key);
  });

  it('refuses a lease TTL shorter than three renewal periods, naming both keys', () => {
    const section = loadConfig({ env: {}, overrides: { 'partitions.leaseTtlMs': 5_000 } }).partitions;
    expect(() => compilePartitionOptions(section, host)).toThrow(
      /partitions\.leaseTtlMs.*partitions\.renewMs/,
    );
    try {
      compilePartitionOptions(section, host);
    } catch (e) {
      expect((e as ChurnflowError).code).toBe('CONFIG_INVALID');
    }
  });

  it('makes a KV key token of any hostname', () => {
    expect(defaultInstanceId({ hostname: 'a b/c.d', pid: 1 })).toBe('a_b_c_d-1');
    expect(defaultInstanceId({ hostname: '', pid: 2 })).toBe('host-2');
  });
});

describe('createPartitionOwnership', () => {
  it('without a lease bucket owns every partition itself, touching no NATS', async () => {
    const o = createPartitionOwnership(compilePartitionOptions(loadConfig({ env: {} }).partitions, host));
    await o.start();
    expect(o.owned()).toEqual([0]);
    expect(o.instanceId).toBe('node-7_cluster_local-4242');
    await o.stop();
  });

  it('with a lease bucket needs a connection', () => {
    const section = loadConfig({ env: {}, overrides: { 'partitions.leaseBucket': 'leases' } }).partitions;
    expect(() => createPartitionOwnership(compilePartitionOptions(section, host))).toThrow(TypeError);
  });
});

describe('allPartitions (no lease bucket)', () => {
  it('owns every partition from start to stop, running the release hook for each before handing it back', async () => {
    const changes: LeaseChange[] = [];
    const hooked: number[] = [];
    const o = allPartitions({
      count: 3,
      onRelease: (p) => {
        hooked.push(p);
        return Promise.resolve();
      },
    });
    o.changes.subscribe((c) => changes.push(c));
    expect(o.owned()).toEqual([]);
    await o.start();
    expect(o.owned()).toEqual([0, 1, 2]);
    expect(o.owns(2)).toBe(true);
    await o.stop();
    expect(o.state()).toBe('stopped');
    expect(hooked.sort()).toEqual([0, 1, 2]);
    expect(changes.map((c) => `${c.kind}:${c.partition}`)).toEqual([
      'acquired:0',
      'acquired:1',
      'acquired:2',
      'released:0',
      'released:1',
      'released:2',
    ]);
  });
});
