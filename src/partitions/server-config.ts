import { DEFAULT_EVENT_PREFIX } from '../contract/subjects.js';
import { DEFAULT_PARTITIONED_PREFIX } from './subjects.js';

/** Which subjects a partition mapping reads and writes. */
export interface PartitionMappingOptions {
  /** P: how many partitions customers are spread over (integer >= 1). */
  readonly count: number;
  /** What producers publish under: `<eventPrefix>.<customer>.<type>` (default `events`). */
  readonly eventPrefix?: string;
  /** What the stream stores: `<partitionedPrefix>.<partition>.<customer>.<type>` (default `pevents`). */
  readonly partitionedPrefix?: string;
}

/** A subject transform: messages matching `src` are rewritten to `dest` (nats-server's mapping language). */
export interface PartitionTransform {
  readonly src: string;
  readonly dest: string;
}

/**
 * The transform that spreads customers over P partitions: `events.*.*` →
 * `pevents.{{partition(P,1)}}.{{wildcard(1)}}.{{wildcard(2)}}`. The partition is the FNV-1a hash of the customer
 * token (the first wildcard) modulo P; the customer and the type are kept, so a customer's history can still be
 * found and purged by subject.
 */
export function partitionTransform(opts: PartitionMappingOptions): PartitionTransform {
  if (!Number.isInteger(opts.count) || opts.count < 1) {
    throw new RangeError(`partition count must be an integer >= 1, got ${opts.count}`);
  }
  const from = opts.eventPrefix ?? DEFAULT_EVENT_PREFIX;
  const to = opts.partitionedPrefix ?? DEFAULT_PARTITIONED_PREFIX;
  return {
    src: `${from}.*.*`,
    dest: `${to}.{{partition(${opts.count},1)}}.{{wildcard(1)}}.{{wildcard(2)}}`,
  };
}

/**
 * The nats-server configuration line of the account mapping (works on 2.9, e.g. Debian's 2.9.10):
 * `mappings = { "events.*.*": "pevents.{{partition(4,1)}}.{{wildcard(1)}}.{{wildcard(2)}}" }`.
 * At the top level of the file it applies to the default (`$G`) account; with `accounts { … }`, put it inside the
 * account the producers publish in.
 */
export function subjectMappingConfig(opts: PartitionMappingOptions): string {
  const t = partitionTransform(opts);
  return `mappings = { "${t.src}": "${t.dest}" }`;
}

/**
 * The nats-server 2.10+ alternative: the stream itself rewrites what it stores (`subject_transform` in the stream
 * config), so no server or account configuration is needed. The stream takes `events.*.*` plus the engines'
 * per-partition clock ticks; the stored subjects are the same as with the account mapping.
 */
export function partitionedStreamSubjects(opts: PartitionMappingOptions): {
  readonly subjects: readonly string[];
  readonly subject_transform: PartitionTransform;
} {
  const t = partitionTransform(opts);
  const to = opts.partitionedPrefix ?? DEFAULT_PARTITIONED_PREFIX;
  return { subjects: [t.src, `${to}.*.$clock.tick`], subject_transform: t };
}
