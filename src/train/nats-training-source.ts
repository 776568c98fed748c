/**
 * Training history from a JetStream stream: a range of it read with an ordered consumer (ephemeral, no acks,
 * no state left on the server) and decoded by the decode stage exactly as the engine would read it.
 */
import { DeliverPolicy, jetstream, jetstreamManager, type OrderedConsumerOptions } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_EVENT_PREFIX } from '../contract/subjects.js';
import { DEFAULT_DECODE_OPTIONS } from '../decode/options.js';
import type { InboundMessage } from '../ingest/types.js';
import { orderedReplay, UnsortedHistoryError, type RawRead } from './ordered-source.js';
import { decodeInto, type ReplayStats, type TrainingSource } from './training-source.js';

/** Options of {@link natsTrainingSource}. */
export interface NatsTrainingSourceOptions {
  readonly nc: NatsConnection;
  /** Stream to read. @default 'EVENTS' */
  readonly stream?: string;
  /** First message: a stream sequence, or an ISO 8601 time the message was stored at or after. @default the first */
  readonly from?: string;
  /** Last message: a stream sequence, or an ISO 8601 time stored at or before. @default the last one at start */
  readonly to?: string;
  /** Subject prefix the decode stage expects. @default 'events' */
  readonly subjectPrefix?: string;
  /** Messages per replayed batch. @default 4096 */
  readonly batchSize?: number;
  /** Wall clock for the decode stage's future-time bound, epoch ms. @default Date.now */
  readonly clock?: () => number;
  /** Most valid events of an out-of-order range sorted in memory. @default DEFAULT_MAX_SORT_EVENTS (5,000,000) */
  readonly maxSortEvents?: number;
  /** Where a sort is reported. @default none */
  readonly log?: (line: string) => void;
}

/** A bound of the range: a sequence (all digits) or a time. @throws RangeError when it is neither. */
export function parseStreamBound(value: string, which: string): { seq: number } | { timeMs: number } {
  if (/^\d+$/.test(value)) return { seq: Number(value) };
  const timeMs = Date.parse(value);
  if (!Number.isFinite(timeMs)) {
    throw new RangeError(`--${which} ${value}: expected a stream sequence or an ISO 8601 time`);
  }
  return { timeMs };
}

/**
 * Reads `from`..`to` of the stream (both inclusive). The range ends at the stream's last message when the
 * replay starts, so a stream still being written to does not keep the replay going. Stream order is publish
 * order, not event time: the range is read once to check the order, then streamed, or sorted when out of
 * order (see {@link orderedReplay}). Progress in sequences, to twice the last one.
 */
export async function natsTrainingSource(opts: NatsTrainingSourceOptions): Promise<TrainingSource> {
  const stream = opts.stream ?? 'EVENTS';
  const prefix = opts.subjectPrefix ?? DEFAULT_EVENT_PREFIX;
  const from = opts.from === undefined ? undefined : parseStreamBound(opts.from, 'from');
  const to = opts.to === undefined ? undefined : parseStreamBound(opts.to, 'to');
  const info = await (await jetstreamManager(opts.nc)).streams.info(stream);
  const lastSeq = Math.min(info.state.last_seq, to !== undefined && 'seq' in to ? to.seq : Infinity);
  const toMs = to !== undefined && 'timeMs' in to ? to.timeMs : Infinity;
  const stats: ReplayStats = { records: 0, invalid: 0, byReason: {} };
  const empty =
    info.state.messages === 0 ||
    (from !== undefined && 'seq' in from && from.seq > lastSeq) ||
    (from !== undefined && 'timeMs' in from && from.timeMs > Date.parse(info.state.last_ts));
  const consumerOpts: Partial<OrderedConsumerOptions> =
    from === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : 'seq' in from
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, from.seq) }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.timeMs).toISOString() };
  const decodeOpts = { ...DEFAULT_DECODE_OPTIONS, subjectPrefix: prefix };
  const clock = opts.clock ?? Date.now;
  const batchSize = opts.batchSize ?? 4096;
  const description = `stream ${stream} ${opts.from ?? 'first'}..${opts.to ?? 'last'}`;
  /** The range from its start; each call reads it with a new ordered consumer. */
  async function* read(): AsyncGenerator<RawRead> {
    if (empty) return;
    // A copy each read: the client writes a name prefix into the options it is given, and a second ordered
    // consumer of that name would be the first one again (still on the server, already at the range's end).
    const consumer = await jetstream(opts.nc).consumers.get(stream, { ...consumerOpts });
    const messages = await consumer.consume({ max_messages: batchSize });
    let batch: InboundMessage[] = [];
    try {
      for await (const m of messages) {
        const storedMs = Math.floor(m.info.timestampNanos / 1e6);
        const past = m.seq > lastSeq || storedMs > toMs;
        if (!past) {
          batch.push({
            subject: m.subject,
            data: m.data,
            contentType: m.headers?.get('Content-Type') || undefined,
            streamSeq: m.seq,
            publishedAtMs: storedMs,
          });
        }
        const end = past || m.seq >= lastSeq || m.info.pending === 0;
        if (batch.length >= batchSize || end) {
          yield { messages: batch, done: m.seq };
          batch = [];
        }
        if (end) break;
      }
    } finally {
      messages.stop();
    }
  }
  return {
    description,
    total: 2 * lastSeq,
    unit: 'seq',
    stats,
    batches: () =>
      orderedReplay({
        read,
        decode: (messages, into) => decodeInto(into, messages, decodeOpts, clock()),
        stats,
        total: lastSeq,
        maxSortEvents: opts.maxSortEvents,
        log: opts.log,
        tooMany: (limit) =>
          new UnsortedHistoryError(description, limit, unsortedRangeMessage(description, limit)),
      }),
  };
}

/** The refusal of an out-of-order range too large to sort: what is wrong, and what to do. */
function unsortedRangeMessage(description: string, limit: number): string {
  return (
    `${description} is not in event-time order (events were published out of ts order) and holds more than ` +
    `${limit} valid events, the most churnflow train sorts in memory (--max-sort-events). ` +
    'Train on a shorter range (--from/--to) or raise --max-sort-events'
  );
}
