/**
 * What the lease bucket holds, one key per fact (history 1: only the latest value of a key matters):
 *
 * | key | value | written by |
 * |---|---|---|
 * | `leases.<partition>` | {@link LeaseRecord} | the owner: created or taken over by compare-and-set, renewed by CAS |
 * | `instances.<instanceId>` | {@link HeartbeatRecord} | the instance itself, every renewal period |
 * | `count` | `{ "count": P }` | the first instance; every later one checks it has the same P |
 *
 * Values are JSON so that `nats kv get` shows them to an operator.
 */

/** A partition's lease. */
export interface LeaseRecord {
  /** The owning instance's id. */
  readonly owner: string;
  /** The owner's session: one per start of a lease manager, so a restarted instance never mistakes an old lease for its own. */
  readonly session: string;
  /**
   * How long after this write others may take the lease over, measured on their own clock from the moment they
   * first see this revision. The owner stops using it earlier (see docs/partitions.md).
   */
  readonly ttlMs: number;
  /** Owner's clock + ttlMs at the write: for operators only, nobody acts on another machine's clock. */
  readonly expiresAt: number;
}

/** An instance's heartbeat: it is alive while this key keeps changing. */
export interface HeartbeatRecord {
  readonly instance: string;
  readonly session: string;
  readonly ttlMs: number;
  /** Writer's clock + ttlMs: informative only. */
  readonly expiresAt: number;
}

/** The key of a partition's lease. */
export function leaseKey(partition: number): string {
  return `leases.${partition}`;
}

/** The keys of the heartbeats (a KV filter). */
export const HEARTBEAT_KEYS = 'instances.>';

/** The key of an instance's heartbeat. */
export function heartbeatKey(instanceId: string): string {
  return `instances.${instanceId}`;
}

/** The instance id of a heartbeat key, or undefined when it is not one. */
export function instanceOfHeartbeatKey(key: string): string | undefined {
  return key.startsWith('instances.') && key.length > 'instances.'.length ? key.slice(10) : undefined;
}

/** The key holding the partition count every instance must agree on. */
export const COUNT_KEY = 'count';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON bytes of a record. */
export function encodeRecord(record: LeaseRecord | HeartbeatRecord | { readonly count: number }): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

function parseObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(decoder.decode(bytes));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** A lease value, or undefined when the bytes are not one (such a lease is still honoured until it goes stale). */
export function decodeLease(bytes: Uint8Array): LeaseRecord | undefined {
  const o = parseObject(bytes);
  if (o === undefined || typeof o['owner'] !== 'string' || typeof o['session'] !== 'string') return undefined;
  if (!isPositive(o['ttlMs'])) return undefined;
  const expiresAt = typeof o['expiresAt'] === 'number' ? o['expiresAt'] : 0;
  return { owner: o['owner'], session: o['session'], ttlMs: o['ttlMs'], expiresAt };
}

/** A heartbeat value, or undefined when the bytes are not one. */
export function decodeHeartbeat(bytes: Uint8Array): HeartbeatRecord | undefined {
  const o = parseObject(bytes);
  if (o === undefined || typeof o['instance'] !== 'string' || typeof o['session'] !== 'string')
    return undefined;
  if (!isPositive(o['ttlMs'])) return undefined;
  const expiresAt = typeof o['expiresAt'] === 'number' ? o['expiresAt'] : 0;
  return { instance: o['instance'], session: o['session'], ttlMs: o['ttlMs'], expiresAt };
}

/** The partition count stored under {@link COUNT_KEY}, or undefined when the bytes are not one. */
export function decodeCount(bytes: Uint8Array): number | undefined {
  const count = parseObject(bytes)?.['count'];
  return typeof count === 'number' && Number.isInteger(count) && count >= 1 ? count : undefined;
}
