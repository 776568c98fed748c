import { ChurnflowError } from '../contract/codes.js';
import { clipText, decodeBody } from './body.js';
import { DEFAULT_MAX_PAYLOAD, encodeReply, errorReply, headerBytes, replyHeaders } from './reply.js';
import { ECHO_LIMIT } from './shapes.js';
import type { RequestMetrics } from './metrics.js';
import {
  AnsweredElsewhere,
  RequestRefusal,
  type Endpoint,
  type ErrorReply,
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
  /** A monotonic clock in milliseconds, for request latency. @default performance.now */
  readonly now?: () => number;
}

/** What became of one request, for the service's stats. */
export interface RequestOutcome {
  /** `ok`, a request error code, `reply_failed` (not sent), or `elsewhere` (left to its owner: no reply). */
  readonly outcome: string;
  /** The error answered, `<code>: <message>` (the service's `last_error`); absent when the answer was a result. */
  readonly error?: string;
  /** From the request's arrival to its reply, seconds. */
  readonly seconds: number;
}

/**
 * Wraps an endpoint into a request handler that cannot fail: every request gets exactly one reply attempt — the
 * endpoint's result, or `{ error: { code, message } }` with the micro protocol's `Nats-Service-Error` and
 * `Nats-Service-Error-Code` headers — encoded as the request was, and never larger than the server's max_payload,
 * headers included (a larger answer becomes a small `reply_too_large` error). Whatever goes wrong, including
 * `respond` itself throwing (connection closing), is caught and logged with the endpoint and subject; the returned
 * promise never rejects. It resolves to the outcome (undefined only after a bug in the handler, logged).
 */
export function requestHandler(
  endpoint: Endpoint,
  deps: HandlerDeps,
): (msg: RequestMsg) => Promise<RequestOutcome | undefined> {
  const { log } = deps;
  const now = deps.now ?? (() => performance.now());
  const handle = async (msg: RequestMsg): Promise<RequestOutcome> => {
    const started = now();
    const ctx = { endpoint: endpoint.name, subject: msg.subject, bytes: msg.data.length };
    let encoding: RequestEncoding = 'json';
    let payload: unknown;
    let refusal: RequestRefusal | undefined;
    try {
      const body = decodeBody(msg.data, msg.headers?.get('Content-Type'), deps.limits.maxBodyBytes);
      encoding = body.encoding;
      if (!body.ok) throw body.refusal;
      payload = await endpoint.answer(body.value, deps.limits);
    } catch (err) {
      if (err instanceof AnsweredElsewhere) {
        // Not this instance's request: counted apart, and left out of latency (it did no work).
        deps.metrics?.requests.inc({ endpoint: endpoint.name, outcome: 'elsewhere' });
        return { outcome: 'elsewhere', seconds: (now() - started) / 1000 };
      }
      refusal = asRefusal(err);
      if (refusal.code === 'internal') log.error({ ...ctx, err }, 'request failed');
      else log.debug({ ...ctx, code: refusal.code, reason: refusal.message }, 'request refused');
      payload = errorReply(refusal.code, refusal.message);
    }
    const sent = send(msg, payload, encoding, refusal, ctx, deps);
    const seconds = (now() - started) / 1000;
    deps.metrics?.requests.inc({ endpoint: endpoint.name, outcome: sent.outcome });
    deps.metrics?.seconds.observe({ endpoint: endpoint.name }, seconds);
    return { ...sent, seconds };
  };
  return async (msg) => {
    try {
      return await handle(msg);
    } catch (err) {
      // Only a bug in the lines above lands here; it must still not become an unhandled rejection.
      log.error({ endpoint: endpoint.name, err }, 'request handler failed');
      return undefined;
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
  refusal: ErrorReply['error'] | undefined,
  ctx: object,
  deps: HandlerDeps,
): Omit<RequestOutcome, 'seconds'> {
  let error = refusal === undefined ? undefined : { code: refusal.code, message: refusal.message };
  let bytes: Uint8Array;
  try {
    bytes = encodeReply(payload, encoding);
  } catch (err) {
    deps.log.error({ ...ctx, err }, 'request answer could not be encoded');
    error = { code: 'internal', message: 'the answer could not be encoded' };
    bytes = encodeReply(errorReply(error.code, error.message), encoding);
  }
  let headers = replyHeaders(encoding, error);
  const maxPayload = safeMaxPayload(deps);
  // The server counts the headers too, and an error's headers repeat (part of) its message.
  const limit = maxPayload - headerBytes(headers);
  if (bytes.length > limit) {
    deps.log.warn({ ...ctx, replyBytes: bytes.length, maxPayload }, 'request answer larger than max_payload');
    const message = `the answer has ${bytes.length} bytes; the server takes ${limit} (max_payload ${maxPayload})`;
    error = { code: 'reply_too_large', message };
    bytes = encodeReply(errorReply(error.code, error.message), encoding);
    headers = replyHeaders(encoding, error);
  }
  try {
    msg.respond(bytes, { headers });
  } catch (err) {
    // The connection is closing, or the server lowered max_payload since: nobody else will answer, so say so.
    deps.log.warn({ ...ctx, err, replyBytes: bytes.length }, 'request reply could not be sent');
    return { outcome: 'reply_failed', error: 'reply_failed: the reply could not be sent' };
  }
  if (error === undefined) return { outcome: 'ok' };
  return { outcome: error.code, error: `${error.code}: ${clipText(error.message, ECHO_LIMIT * 2)}` };
}

function safeMaxPayload(deps: HandlerDeps): number {
  try {
    const n = deps.maxPayload?.();
    return typeof n === 'number' && n > 0 ? n : DEFAULT_MAX_PAYLOAD;
  } catch {
    return DEFAULT_MAX_PAYLOAD;
  }
}
