import { ChurnflowError } from '../contract/codes.js';
import { decodeBody } from './body.js';
import { DEFAULT_MAX_PAYLOAD, HEADER_ALLOWANCE, encodeReply, errorReply, replyHeaders } from './reply.js';
import type { RequestMetrics } from './metrics.js';
import {
  AnsweredElsewhere,
  RequestRefusal,
  type Endpoint,
  type RequestEncoding,
  type RequestLimits,
  type RequestMsg,
} from './types.js';

/** The logger handlers report to (a pino logger fits). */
export interface RequestLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What every handler is given. */
export interface HandlerDeps {
  readonly log: RequestLog;
  readonly limits: RequestLimits;
  /** The largest message the server takes now (`nc.info.max_payload`), bytes; asked per reply (a reconnect may change it). */
  readonly maxPayload?: () => number | undefined;
  readonly metrics?: RequestMetrics;
}

/**
 * Wraps an endpoint into a request handler that cannot fail: every request gets exactly one reply attempt — the
 * endpoint's result, or `{ error: { code, message } }` — encoded as the request was, and never larger than the
 * server's max_payload (a larger answer becomes a small `reply_too_large` error). Whatever goes wrong, including
 * `respond` itself throwing (connection closing), is caught and logged with the endpoint and subject; the
 * returned promise never rejects.
 */
export function requestHandler(endpoint: Endpoint, deps: HandlerDeps): (msg: RequestMsg) => Promise<void> {
  const { log } = deps;
  const handle = async (msg: RequestMsg): Promise<void> => {
    const ctx = { endpoint: endpoint.name, subject: msg.subject, bytes: msg.data.length };
    let encoding: RequestEncoding = 'json';
    let payload: unknown;
    let outcome: string;
    try {
      const body = decodeBody(msg.data, msg.headers?.get('Content-Type'), deps.limits.maxBodyBytes);
      encoding = body.encoding;
      if (!body.ok) throw body.refusal;
      payload = await endpoint.answer(body.value, deps.limits);
      outcome = 'ok';
    } catch (err) {
      if (err instanceof AnsweredElsewhere) {
        deps.metrics?.requests.inc({ endpoint: endpoint.name, outcome: 'elsewhere' });
        return;
      }
      const refusal = asRefusal(err);
      if (refusal.code === 'internal') log.error({ ...ctx, err }, 'request failed');
      else log.debug({ ...ctx, code: refusal.code, reason: refusal.message }, 'request refused');
      payload = errorReply(refusal.code, refusal.message);
      outcome = refusal.code;
    }
    outcome = send(msg, payload, encoding, outcome, ctx, deps);
    deps.metrics?.requests.inc({ endpoint: endpoint.name, outcome });
  };
  return async (msg) => {
    try {
      await handle(msg);
    } catch (err) {
      // Only a bug in the lines above lands here; it must still not become an unhandled rejection.
      log.error({ endpoint: endpoint.name, err }, 'request handler failed');
    }
  };
}

/** A refusal as it is; anything else thrown is an `internal` failure whose details stay in the log. */
function asRefusal(err: unknown): RequestRefusal {
  if (err instanceof RequestRefusal) return err;
  const what = err instanceof ChurnflowError ? ` (${err.code})` : '';
  return new RequestRefusal('internal', `the engine could not answer${what}; its log has the details`);
}

/** Encodes, bounds and sends one reply; returns the outcome to count (it changes when the reply is replaced). */
function send(
  msg: RequestMsg,
  payload: unknown,
  encoding: RequestEncoding,
  outcome: string,
  ctx: object,
  deps: HandlerDeps,
): string {
  let bytes: Uint8Array;
  try {
    bytes = encodeReply(payload, encoding);
  } catch (err) {
    deps.log.error({ ...ctx, err }, 'request answer could not be encoded');
    bytes = encodeReply(errorReply('internal', 'the answer could not be encoded'), encoding);
    outcome = 'internal';
  }
  const maxPayload = safeMaxPayload(deps);
  const limit = maxPayload - HEADER_ALLOWANCE;
  if (bytes.length > limit) {
    deps.log.warn({ ...ctx, replyBytes: bytes.length, maxPayload }, 'request answer larger than max_payload');
    const message = `the answer has ${bytes.length} bytes; the server takes ${limit} (max_payload ${maxPayload})`;
    bytes = encodeReply(errorReply('reply_too_large', message), encoding);
    outcome = 'reply_too_large';
  }
  try {
    msg.respond(bytes, { headers: replyHeaders(encoding) });
  } catch (err) {
    // The connection is closing, or the server lowered max_payload since: nobody else will answer, so say so.
    deps.log.warn({ ...ctx, err, replyBytes: bytes.length }, 'request reply could not be sent');
    return 'reply_failed';
  }
  return outcome;
}

function safeMaxPayload(deps: HandlerDeps): number {
  try {
    const n = deps.maxPayload?.();
    return typeof n === 'number' && n > 0 ? n : DEFAULT_MAX_PAYLOAD;
  } catch {
    return DEFAULT_MAX_PAYLOAD;
  }
}
