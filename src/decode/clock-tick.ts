import type { InboundMessage } from '../ingest/types.js';
import { Undecodable, decodePayload } from './decode-payload.js';
import type { DecodeOptions } from './options.js';
import { Problem } from './problem.js';

/** Largest tick payload: `{"ts":<13 digits>}` needs 20 bytes. */
const MAX_TICK_BYTES = 64;

/**
 * Reads a clock tick (`{"ts": <epoch ms>}`, JSON) written by an idle engine. Anyone who may publish events may
 * publish on this subject too, so it is checked like an event's `ts`: an integer >= 0, not after its stored
 * time + `maxFutureMs`. Returns the tick's time or the problem that refuses it.
 */
export function decodeClockTick(
  message: InboundMessage,
  opts: DecodeOptions,
  nowMs: number,
): number | Problem {
  if (message.data.byteLength > MAX_TICK_BYTES) {
    return new Problem(
      'payload_too_large',
      `clock tick: ${message.data.byteLength} bytes, at most ${MAX_TICK_BYTES}`,
    );
  }
  const payload = decodePayload(message.data, 'json');
  if (payload instanceof Undecodable) return new Problem('undecodable', 'clock tick: not valid JSON');
  const ts: unknown =
    typeof payload === 'object' && payload !== null ? (payload as { ts?: unknown }).ts : undefined;
  if (typeof ts !== 'number') return new Problem('wrong_type', 'clock tick: ts must be a number');
  if (!Number.isFinite(ts)) return new Problem('non_finite_number', 'clock tick: ts is not finite');
  if (!Number.isInteger(ts) || ts < 0)
    return new Problem('out_of_range', `clock tick: ts ${ts} is not epoch ms`);
  if (ts > nowMs + opts.maxFutureMs) {
    return new Problem(
      'too_far_in_future',
      `clock tick: ts ${ts} is after its stored time ${nowMs} + ${opts.maxFutureMs} ms`,
    );
  }
  return ts;
}
