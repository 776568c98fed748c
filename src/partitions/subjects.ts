import { clockTickSubject } from '../contract/subjects.js';
import { partitionOfToken } from './hash.js';

/**
 * Subjects of a partitioned event stream. Producers publish `events.<customer>.<type>`; nats-server's mapping
 * stores it as `<prefix>.<partition>.<customer>.<type>` (default prefix `pevents`). Engines write their clock ticks
 * straight to `<prefix>.<partition>.$clock.tick`, one per partition they own: the mapping only rewrites
 * `events.*.*`, and `events.$clock.tick` would land in the one partition `$clock` hashes to.
 */

/** The default prefix of mapped (stored) event subjects. */
export const DEFAULT_PARTITIONED_PREFIX = 'pevents';

const CLOCK_TOKEN = '$clock';

/** `<prefix>.<partition>`: the event prefix inside one partition (what `parseEventSubject` takes as prefix). */
export function partitionEventPrefix(prefix: string, partition: number): string {
  return `${prefix}.${partition}`;
}

/** `<prefix>.<partition>.$clock.tick`: where an engine writes the clock ticks of a partition it owns. */
export function partitionClockTickSubject(prefix: string, partition: number): string {
  return clockTickSubject(partitionEventPrefix(prefix, partition));
}

/** `<prefix>.<partition>.>`: the filter of a partition's durable consumer. */
export function partitionFilterSubject(prefix: string, partition: number): string {
  return `${partitionEventPrefix(prefix, partition)}.>`;
}

/**
 * The partition number of a stored subject `<prefix>.<partition>.…`, or `undefined` when the subject is not under
 * `prefix` or its next token is not a canonical decimal (`0`, or digits without a leading zero, below 2^31).
 */
export function partitionOfSubject(subject: string, prefix: string): number | undefined {
  const start = prefix.length + 1;
  if (!subject.startsWith(prefix) || subject.charCodeAt(prefix.length) !== 0x2e /* . */) return undefined;
  let end = subject.indexOf('.', start);
  if (end < 0) end = subject.length;
  const digits = end - start;
  if (digits < 1 || digits > 10) return undefined;
  if (digits > 1 && subject.charCodeAt(start) === 0x30 /* 0 */) return undefined;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = subject.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n <= 0x7fffffff ? n : undefined;
}

/** What {@link checkPartitionedSubject} finds in a stored subject. */
export type PartitionedSubject =
  /** An event in the partition its customer token hashes to, or a clock tick of a partition. */
  | { readonly kind: 'ok'; readonly partition: number; readonly token: string; readonly tick: boolean }
  /** Not `<prefix>.<partition>.<token>.<type>` with a partition below `count`. */
  | { readonly kind: 'not_partitioned' }
  /**
   * A well-formed subject in another partition than its token's: published straight to the mapped subject
   * (bypassing the mapping), or stored under a different partition count. Its owner must not take it.
   */
  | {
      readonly kind: 'wrong_partition';
      readonly partition: number;
      readonly expected: number;
      readonly token: string;
    };

/**
 * Checks a stored subject against the mapping: the partition must be the one `partitionOfToken` gives its token
 * (clock ticks excepted, which each engine writes to its own partitions). Only the partition and the token are
 * looked at; the event subject rule (`parseEventSubject` with {@link partitionEventPrefix}) checks the rest.
 */
export function checkPartitionedSubject(subject: string, prefix: string, count: number): PartitionedSubject {
  const partition = partitionOfSubject(subject, prefix);
  if (partition === undefined || partition >= count) return { kind: 'not_partitioned' };
  const tokenAt = prefix.length + String(partition).length + 2;
  const tokenEnd = subject.indexOf('.', tokenAt);
  if (tokenEnd <= tokenAt || tokenEnd === subject.length - 1) return { kind: 'not_partitioned' };
  const token = subject.slice(tokenAt, tokenEnd);
  if (token === CLOCK_TOKEN) return { kind: 'ok', partition, token, tick: true };
  const expected = partitionOfToken(token, count);
  if (expected !== partition) return { kind: 'wrong_partition', partition, expected, token };
  return { kind: 'ok', partition, token, tick: false };
}
