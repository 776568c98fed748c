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
import { readEventFile } from '../ingest/event-file.js';
import type { InboundMessage } from '../ingest/types.js';
import type { Simulator } from '../simulate/simulator.js';
import { DAY_MS } from '../simulate/profiles.js';

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
}

/** An event file (`.jsonl` or `.msgpack`) decoded and validated record by record; progress in bytes. */
export function fileTrainingSource(file: string, opts: FileTrainingSourceOptions = {}): TrainingSource {
  const stats: ReplayStats = { records: 0, invalid: 0, byReason: {} };
  const prefix = opts.subjectPrefix ?? DEFAULT_EVENT_PREFIX;
  const clock = opts.clock ?? Date.now;
  const decodeOpts: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS, subjectPrefix: prefix };
  return {
    description: `file ${file}`,
    total: statSync(file).size,
    unit: 'bytes',
    stats,
    async *batches() {
      let seq = 0;
      let bytes = 0;
      for await (const records of readEventFile(file, { subjectPrefix: prefix, batchSize: 4096 })) {
        const now = clock();
        const messages = records.map((r): InboundMessage => {
          bytes += r.data.byteLength + 1;
          // A record without a usable customer/type still goes through decode, which names what is wrong.
          return {
            subject: r.subject ?? `${prefix}.unknown.unknown`,
            data: r.data,
            contentType: r.contentType,
            streamSeq: ++seq,
            publishedAtMs: now,
          };
        });
        yield { events: decodeInto(stats, messages, decodeOpts, now), done: bytes };
      }
    },
  };
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
