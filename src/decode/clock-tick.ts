import type { InboundMessage } from '../ingest/types.js';
import { Undecodable, decodePayload } from './decode-payload.js';
import { Problem } from './problem.js';

/** Largest tick payload: `{"ts":<13 digits>}` needs 20 bytes. */
const MAX_TICK_BYTES = 64;
/**
 * How far a tick may lie after the time the stream stored it: an engine writes `wall clock - state.tickLagMs`, so
 * this only absorbs clock skew between engine and server (up to tickLagMs + 2 s), while a producer's forged tick
 * can move every engine's clock by 2 s at most.
 */
export const MAX_TICK_LEAD_MS = 2_000;

/**
 * Reads a clock tick (`{"ts": <epoch ms>}`, JSON) written by an idle engine. An engine only ever writes a time
 * before the moment it writes, so a tick more than {@link MAX_TICK_LEAD_MS} after the time the stream stored it is
 * refused (whoever may publish events may publish here too, unless permissions say otherwise: see the README's
 * Access section). Returns the tick's time or the problem that refuses it.
 */
export function decodeClockTick(message: InboundMessage, nowMs: number): number | Problem {
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
  if (ts > nowMs + MAX_TICK_LEAD_MS) {
    const why = `clock tick: ts ${ts} is more than ${MAX_TICK_LEAD_MS} ms after the time it was stored, ${nowMs}`;
    return new Problem('too_far_in_future', why);
  }
  return ts;
}
