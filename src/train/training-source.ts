/**
 * Where training history comes from: the simulator, an event file, or a range of a JetStream stream (see
 * nats-training-source.ts). File and stream records go through the decode stage's own validation
 * (`decodeBatch`), exactly as the engine reads them: an invalid record is counted by reason and skipped.
 */
import { statSync } from 'node:fs';
import type { DlqReason } from '../contract/codes.js';
import { DEFAULT_EVENT_PREFIX } from '../contract/subjects.js';
import { decodeBatch } from '../decode/decode-batch.js';
import { DEFAULT_DECODE_OPTIONS, type DecodeOptions } from '../decode/options.js';
import type { DecodedEvent } from '../decode/types.js';
import { eventFileFormat, readEventFile } from '../ingest/event-file.js';
import type { InboundMessage } from '../ingest/types.js';
import type { Simulator } from '../simulate/simulator.js';
import { DAY_MS } from '../simulate/profiles.js';
import { orderedReplay, UnsortedHistoryError, type RawRead } from './ordered-source.js';

/** One replayed batch: its valid events, and how far the replay has come in units of the source's `total`. */
export interface ReplayBatch {
  readonly events: DecodedEvent[];
  readonly done: number;
}

/** Records read and refused by a source; filled in as it is iterated. */
export interface ReplayStats {
  records: number;
  invalid: number;
  /** Invalid records by dead-letter reason. */
  readonly byReason: Partial<Record<DlqReason, number>>;
}

/** A history to train on. */
export interface TrainingSource {
  /** For the report: `simulator (5000 customers, 180 days, seed 42)`, `file events.jsonl`, ... */
  readonly description: string;
  /** The history's extent, when known before reading it (fixes the cut-offs up front). */
  readonly window?: { readonly startMs: number; readonly endMs: number };
  /** Progress total (`done` of the last batch reaches it) and its unit, for a progress bar. */
  readonly total: number;
  readonly unit: string;
  readonly stats: ReplayStats;
  /** The batches in order (a sync iterable for an in-memory source; `for await` reads both). */
  batches(): AsyncIterable<ReplayBatch> | Iterable<ReplayBatch>;
}

const EMPTY = new Uint8Array(0);

/** The simulator's history from its start for `days` days, one batch per simulated day. */
export function simulatorTrainingSource(sim: Simulator, days: number): TrainingSource {
  const stats: ReplayStats = { records: 0, invalid: 0, byReason: {} };
  const endMs = sim.startMs + days * DAY_MS;
  return {
    description: `simulator (${sim.customers} customers, ${days} days, seed ${sim.seed})`,
    window: { startMs: sim.startMs, endMs },
    total: days,
    unit: 'days',
    stats,
    *batches() {
      let seq = 0;
      for (const batch of sim.batchesBetween(sim.startMs, endMs, DAY_MS)) {
        stats.records += batch.length;
        // streamSeq counts up like a stream's, so the store's redelivery check never skips an event.
        const events = batch.map((event): DecodedEvent => ({
          event,
          subject: '',
          data: EMPTY,
          streamSeq: ++seq,
          publishedAtMs: event.ts,
        }));
        yield { events, done: Math.floor((batch[0]!.ts - sim.startMs) / DAY_MS) + 1 };
      }
    },
  };
}

/** Options of {@link fileTrainingSource}. */
export interface FileTrainingSourceOptions {
  /** Subject prefix the decode stage expects. @default 'events' */
  readonly subjectPrefix?: string;
  /** Wall clock for the decode stage's future-time bound, epoch ms. @default Date.now */
  readonly clock?: () => number;
  /** Most valid events of an out-of-order file sorted in memory. @default DEFAULT_MAX_SORT_EVENTS (5,000,000) */
  readonly maxSortEvents?: number;
  /** Where a sort is reported. @default none */
  readonly log?: (line: string) => void;
}

/**
 * An event file (`.jsonl` or `.msgpack`) decoded and validated record by record, replayed in event-time order:
 * read once to check the order, then streamed, or sorted when out of order (see {@link orderedReplay}).
 * Progress in bytes read, twice the file's size in all.
 */
export function fileTrainingSource(file: string, opts: FileTrainingSourceOptions = {}): TrainingSource {
  const stats: ReplayStats = { records: 0, invalid: 0, byReason: {} };
  const prefix = opts.subjectPrefix ?? DEFAULT_EVENT_PREFIX;
  const clock = opts.clock ?? Date.now;
  const decodeOpts: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS, subjectPrefix: prefix };
  const size = statSync(file).size;
  const description = `file ${file}`;
  return {
    description,
    total: 2 * size,
    unit: 'bytes',
    stats,
    batches: () =>
      orderedReplay({
        read: () => readFileMessages(file, prefix, clock),
        decode: (messages, into) => decodeInto(into, messages, decodeOpts, clock()),
        stats,
        total: size,
        maxSortEvents: opts.maxSortEvents,
        log: opts.log,
        tooMany: (limit) => new UnsortedHistoryError(description, limit, unsortedFileMessage(file, limit)),
      }),
  };
}

/** The file's records as raw messages, with the bytes read so far. */
async function* readFileMessages(file: string, prefix: string, clock: () => number): AsyncGenerator<RawRead> {
  let seq = 0;
  let bytes = 0;
  for await (const records of readEventFile(file, { subjectPrefix: prefix, batchSize: 4096 })) {
    const now = clock();
    const times = new Float64Array(records.length);
    const messages = records.map((r, i): InboundMessage => {
      times[i] = r.ts ?? NaN;
      bytes += r.data.byteLength + 1;
      // A record without a usable customer/type still goes through decode, which names what is wrong.
      return {
        subject: r.subject ?? `${prefix}.unknown.unknown`,
        data: r.data,
        contentType: r.contentType,
        // Counts up in file order, so the store's redelivery check never skips an event of an ordered file.
        streamSeq: ++seq,
        publishedAtMs: now,
      };
    });
    yield { messages, done: bytes, times };
  }
}

/** The refusal of an out-of-order file too large to sort: what is wrong, and how to sort it beforehand. */
function unsortedFileMessage(file: string, limit: number): string {
  const head =
    `${file} is not in event-time order and holds more than ${limit} valid events, ` +
    `the most churnflow train sorts in memory (--max-sort-events)`;
  if (eventFileFormat(file) === 'msgpack') {
    return `${head}. Write the file sorted by ts (churnflow has no msgpack sort), or raise --max-sort-events`;
  }
  const sorted = file.replace(/\.(jsonl|ndjson)$/i, '.sorted.$1');
  // Streams through sort(1), so any size fits; every line kept as written (a bad one first, for training to
  // count), ties in file order.
  const jq = `jq -R -r '. as $l | try "\\(fromjson.ts)\\t\\($l)" catch "0\\t\\($l)"'`;
  return (
    `${head}. Sort it by ts first: ${jq} ${shellArg(file)} | LC_ALL=C sort -s -n -k1,1 | cut -f2- > ${shellArg(sorted)}` +
    ', or raise --max-sort-events'
  );
}

/** A path as one shell word (quoted when it holds anything but the usual path characters). */
function shellArg(p: string): string {
  return /^[\w./+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/** Decodes raw messages with the decode stage, counting refusals into `stats`; returns the valid events. */
export function decodeInto(
  stats: ReplayStats,
  messages: readonly InboundMessage[],
  opts: DecodeOptions,
  nowMs: number,
): DecodedEvent[] {
  const decoded = decodeBatch({ messages, ack: () => undefined }, opts, nowMs);
  stats.records += messages.length;
  stats.invalid += decoded.rejected.length;
  for (const r of decoded.rejected) stats.byReason[r.reason] = (stats.byReason[r.reason] ?? 0) + 1;
  return decoded.events;
}
