import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log/index.js';
import type { CompiledPartitionOptions } from './options.js';
import { createPartitionLeases } from './partition-leases.js';
import { allPartitions } from './static-ownership.js';
import type { PartitionOwnership, ReleaseHook } from './types.js';

/** What {@link createPartitionOwnership} needs beside the options. */
export interface OwnershipDeps {
  /** Required when a lease bucket is configured. */
  readonly nc?: NatsConnection;
  readonly onRelease?: ReleaseHook;
  readonly log?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * The ownership the configuration asks for: leases in `leaseBucket` shared with other instances, or (no bucket,
 * the default) every partition owned by this instance with nothing read or written in NATS.
 */
export function createPartitionOwnership(
  options: CompiledPartitionOptions,
  deps: OwnershipDeps = {},
): PartitionOwnership {
  if (options.leaseBucket === undefined) {
    return allPartitions({ count: options.count, instanceId: options.instanceId, onRelease: deps.onRelease });
  }
  if (deps.nc === undefined) {
    throw new TypeError('partitions.leaseBucket is set: partition leases need a NATS connection');
  }
  return createPartitionLeases({
    nc: deps.nc,
    bucket: options.leaseBucket,
    count: options.count,
    instanceId: options.instanceId,
    leaseTtlMs: options.leaseTtlMs,
    renewMs: options.renewMs,
    onRelease: deps.onRelease,
    log: deps.log,
  });
}
