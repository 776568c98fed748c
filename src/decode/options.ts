import { DEFAULT_EVENT_PREFIX } from '../contract/subjects.js';

/** How the decode stage reads and checks inbound messages. */
export interface DecodeOptions {
  /**
   * The subject prefix events are published under; a message must be on `<prefix>.<customer token>.<type>`
   * matching its payload.
   * @default 'events'
   */
  readonly subjectPrefix: string;
  /**
   * Largest payload accepted, in bytes; larger ones are dead-lettered as `payload_too_large` before decoding.
   * @default 65536
   */
  readonly maxPayloadBytes: number;
  /**
   * How far an event's `ts` may lie ahead of the time the stream stored it, in milliseconds, before it is
   * dead-lettered as `too_far_in_future` (producers' clocks drift; a bound keeps one bad clock from dragging the
   * watermark). The stored time, not the wall clock at processing, so a replay refuses exactly the same events.
   * @default 300000 (5 minutes)
   */
  readonly maxFutureMs: number;
  /**
   * Set when the subjects are one partition's (`subjectPrefix` is then `<prefix>.<partition>`): an event whose
   * customer token hashes to another partition is refused as `wrong_partition` (published straight to a mapped
   * subject past the server's mapping, or stored under another partition count), so no two owners take it.
   */
  readonly partition?: { readonly index: number; readonly count: number };
}

/** The defaults of {@link DecodeOptions}. */
export const DEFAULT_DECODE_OPTIONS: DecodeOptions = Object.freeze({
  subjectPrefix: DEFAULT_EVENT_PREFIX,
  maxPayloadBytes: 65_536,
  maxFutureMs: 300_000,
});
