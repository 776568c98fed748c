/**
 * Replays a re-readable history (an event file, a stream range) in event-time order, which the training set
 * needs: a cut-off's rows are taken when the first event at or after it arrives, and the store refuses events
 * older than its horizon before the watermark. A history read out of order would lose events without a word.
 *
 * The history is read twice. A first pass checks the order, holding nothing; an ordered history then streams
 * through. An unordered one is read again, its valid events held (up to a bound) and replayed sorted by (ts,
 * then read order); past the bound the replay is refused, with how to sort it beforehand.
 */
import type { DecodedEvent } from '../decode/types.js';
import type { InboundMessage } from '../ingest/types.js';
import { EventTimeOrder, EventTimeSort } from './event-time-sort.js';
import type { ReplayBatch, ReplayStats } from './training-source.js';

/**
 * Default of the most valid events sorted in memory: about 0.8 GB of heap, at ~160 bytes per held event
 * (measured on 2.6M simulator events: 418 MB); Node's default heap limit was 4.3 GB on the 23 GB test machine.
 */
export const DEFAULT_MAX_SORT_EVENTS = 5_000_000;

/** Events per replayed batch of a sorted history. */
const SORTED_BATCH = 4096;

/** A history too large to sort in memory: refused before training, with how to sort it beforehand. */
export class UnsortedHistoryError extends RangeError {
  override readonly name = 'UnsortedHistoryError';
  constructor(
    /** The source, as in its description (`file events.jsonl`, `stream EVENTS 1..last`). */
    readonly source: string,
    /** The most valid events that would have been sorted. */
    readonly limit: number,
    message: string,
  ) {
    super(message);
  }
}

/** One read of raw messages and how far the read has come, in the source's progress unit. */
export interface RawRead {
  readonly messages: readonly InboundMessage[];
  readonly done: number;
  /**
   * Event times read without decoding, one per message, NaN where decode is sure to refuse the record: lets
   * the first pass check the order without decoding. Every valid event's time must be among them.
   */
  readonly times?: ArrayLike<number>;
}

/** How an ordered replay reads, decodes, sorts and refuses. */
export interface OrderedReplayOptions {
  /** Reads the history from its start; called two or (rarely) three times. */
  readonly read: () => AsyncIterable<RawRead>;
  /** Decodes messages, counting refusals into the stats given; returns the valid events. */
  readonly decode: (messages: readonly InboundMessage[], stats: ReplayStats) => DecodedEvent[];
  /** The stats every refused record of the replay is counted in, once (a pass that replays nothing counts apart). */
  readonly stats: ReplayStats;
  /** The read's progress total; the replay reports up to twice that (check pass, then replay). */
  readonly total: number;
  /** Most valid events sorted in memory. @default DEFAULT_MAX_SORT_EVENTS */
  readonly maxSortEvents?: number;
  /** Where the sort is reported. @default none */
  readonly log?: (line: string) => void;
  /** The refusal past `maxSortEvents`: names the problem and the fix. */
  readonly tooMany: (limit: number) => UnsortedHistoryError;
}

/**
 * The history's batches in event-time order; progress from 0 to `2 × total`. Refused records are counted in
 * `stats` as the replay reads them.
 * @throws UnsortedHistoryError when the history is out of order and holds more than `maxSortEvents` valid events
 *   (thrown as soon as that is known, before anything was replayed).
 */
export async function* orderedReplay(opts: OrderedReplayOptions): AsyncGenerator<ReplayBatch> {
  if (yield* checkOrder(opts)) yield* streamed(opts);
  else yield* sortedReplay(opts);
}

/**
 * First pass: checks the order, holding and counting nothing; stops at the first step backwards. Uses the
 * undecoded times when the read has them (decoding costs about twice the read), so it may take a record decode
 * would refuse for a step backwards; the next pass decides on valid events only.
 */
async function* checkOrder(opts: OrderedReplayOptions): AsyncGenerator<ReplayBatch, boolean> {
  const order = new EventTimeOrder();
  const scratch = emptyStats();
  for await (const r of opts.read()) {
    const ok =
      r.times !== undefined ? order.acceptTimes(r.times) : order.accept(opts.decode(r.messages, scratch));
    if (!ok) return false;
    // Empty batches carry the progress of a pass that replays nothing yet.
    yield { events: [], done: r.done };
  }
  return true;
}

/** The history as read, decoded batch by batch (nothing held). */
async function* streamed(opts: OrderedReplayOptions): AsyncGenerator<ReplayBatch> {
  for await (const r of opts.read()) {
    yield { events: opts.decode(r.messages, opts.stats), done: opts.total + r.done };
  }
}

/**
 * Second pass of a history the first found out of order: every valid event held, then replayed sorted. Past
 * the bound it is refused, unless the valid events are in order after all (only refused records stepped
 * back): then the history is read once more and streamed.
 */
async function* sortedReplay(opts: OrderedReplayOptions): AsyncGenerator<ReplayBatch> {
  const { total } = opts;
  const limit = opts.maxSortEvents ?? DEFAULT_MAX_SORT_EVENTS;
  const order = new EventTimeOrder();
  // This pass's refusals: the replay's if it replays what this pass holds, else counted again by the next.
  const counted = emptyStats();
  let hold: EventTimeSort | undefined = new EventTimeSort();
  let ordered = true;
  for await (const r of opts.read()) {
    const events = opts.decode(r.messages, counted);
    ordered &&= order.accept(events);
    if (hold !== undefined && hold.size + events.length > limit) hold = undefined;
    hold?.push(events);
    if (hold === undefined && !ordered) {
      addStats(opts.stats, counted);
      throw opts.tooMany(limit);
    }
    yield { events: [], done: total + r.done / 2 };
  }
  if (hold === undefined) {
    yield* streamed(opts);
    return;
  }
  addStats(opts.stats, counted);
  const n = hold.size;
  if (!ordered) opts.log?.(`input not in event-time order: ${n} events sorted by ts`);
  let replayed = 0;
  for (const events of hold.sorted(SORTED_BATCH)) {
    replayed += events.length;
    yield { events, done: total * 1.5 + (total / 2) * (replayed / n) };
  }
}

function emptyStats(): ReplayStats {
  return { records: 0, invalid: 0, byReason: {} };
}

function addStats(into: ReplayStats, from: ReplayStats): void {
  into.records += from.records;
  into.invalid += from.invalid;
  for (const [reason, n] of Object.entries(from.byReason) as [keyof ReplayStats['byReason'], number][]) {
    into.byReason[reason] = (into.byReason[reason] ?? 0) + n;
  }
}
