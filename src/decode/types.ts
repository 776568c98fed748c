import type { CustomerEvent } from '../contract/event.js';
import type { DlqReason } from '../contract/codes.js';
import type { InboundBatch } from '../ingest/types.js';

/** A valid event with where it came from. */
export interface DecodedEvent {
  readonly event: CustomerEvent;
  /** The message it came from (kept by reference so a later stage can still dead-letter it). */
  readonly subject: string;
  readonly data: Uint8Array;
  readonly streamSeq: number;
  readonly publishedAtMs: number;
  /** The message's Content-Type header, when it had one; copied onto a dead letter made from this event. */
  readonly contentType?: string;
}

/** A message that cannot be used: a value flowing to the dead-letter subject, never a stream error. */
export interface Rejection {
  readonly kind: 'rejected';
  readonly reason: DlqReason;
  /** Human-readable detail: which field, which value. */
  readonly detail: string;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly streamSeq: number;
  /** The original message's Content-Type header, when it had one; the dead letter carries it on. */
  readonly contentType?: string;
  /**
   * The customer's subject token (`customerToken`), when known: the token of the subject
   * (`<prefix>.<token>.<type>`), else that of a valid `customerId` in the decoded payload. The dead letter goes to
   * `<out prefix>.dlq.<token>` (absent: `.dlq.$unknown`), so a GDPR erase finds it by subject.
   */
  readonly customerToken?: string;
}

/**
 * A mark of event time the engine wrote into the stream while it was idle (`<prefix>.$clock.tick`): it moves the
 * timer clock at its position in the stream, so a replay fires the same timers at the same place.
 */
export interface ClockTick {
  /** Index into the batch's `events` of the first event after the tick (events.length: after them all). */
  readonly before: number;
  /** The event time it marks, epoch ms. */
  readonly atMs: number;
  readonly streamSeq: number;
}

/** The result of decoding one inbound batch; `source` is kept so the batch can be acked after state applies it. */
export interface DecodedBatch {
  readonly events: DecodedEvent[];
  readonly rejected: Rejection[];
  /** Clock ticks in stream order, positioned among `events`. */
  readonly ticks: readonly ClockTick[];
  readonly source: InboundBatch;
}
