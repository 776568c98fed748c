import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { ChurnflowError } from '../contract/codes.js';

/** The `partitions` section of the configuration, as validated by the schema. */
export type PartitionsConfig = Config['partitions'];

/** The `partitions` section compiled for use: defaults resolved, cross-key rules checked, frozen. */
export interface CompiledPartitionOptions {
  /** P, the number of partitions (1: no mapping; events are consumed as published). */
  readonly count: number;
  /** Prefix of the stored subjects `<prefix>.<partition>.<customer>.<type>` (used when count > 1). */
  readonly subjectPrefix: string;
  /** This instance's unique name (configured, or `<hostname>-<pid>` with characters a KV key refuses replaced). */
  readonly instanceId: string;
  /** The KV bucket of leases; `undefined`: no leases, this instance owns every partition. */
  readonly leaseBucket: string | undefined;
  /** A lease unrenewed this long may be taken over (ms). */
  readonly leaseTtlMs: number;
  /** Renewal, claim and release period (ms). */
  readonly renewMs: number;
}

/** How many renewal periods a lease must span: the owner gets two tries and keeps one period to stop its work. */
export const MIN_TTL_RENEWALS = 3;

/** Where the default instance id comes from (tests pass their own). */
export interface HostIdentity {
  readonly hostname: string;
  readonly pid: number;
}

/**
 * Compiles the `partitions` section: resolves the default instance id and checks that `leaseTtlMs` spans at least
 * {@link MIN_TTL_RENEWALS} renewals. Throws {@link ChurnflowError} CONFIG_INVALID naming both keys otherwise.
 */
export function compilePartitionOptions(
  section: PartitionsConfig,
  host: HostIdentity = { hostname: hostname(), pid: process.pid },
): CompiledPartitionOptions {
  if (section.leaseTtlMs < MIN_TTL_RENEWALS * section.renewMs) {
    throw new ChurnflowError(
      'CONFIG_INVALID',
      `config keys "partitions.leaseTtlMs" (${section.leaseTtlMs}) and "partitions.renewMs" (${section.renewMs}): ` +
        `the lease TTL must be at least ${MIN_TTL_RENEWALS} renewal periods`,
      { key: 'partitions.leaseTtlMs' },
    );
  }
  return Object.freeze({
    count: section.count,
    subjectPrefix: section.subjectPrefix,
    instanceId: section.instanceId === '' ? defaultInstanceId(host) : section.instanceId,
    leaseBucket: section.leaseBucket === '' ? undefined : section.leaseBucket,
    leaseTtlMs: section.leaseTtlMs,
    renewMs: section.renewMs,
  });
}

/** `<hostname>-<pid>`, with every character a KV key token refuses (dots included) written as `_`. */
export function defaultInstanceId(host: HostIdentity): string {
  const name = host.hostname.replace(/[^-=\w]/g, '_').slice(0, 100);
  return `${name === '' ? 'host' : name}-${host.pid}`;
}
