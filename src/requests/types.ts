import type { MsgHdrs } from '@nats-io/transport-node';
import type { RequestErrorCode } from '../contract/codes.js';

/** The encodings a request body and its reply use: JSON or MessagePack. */
export type RequestEncoding = 'json' | 'msgpack';

/**
 * What a handler needs of one NATS request (a nats.js `Msg` fits): its bytes, its headers, and the way to answer.
 * Handlers depend on this, not on `Msg`, so tests can count the replies of thousands of requests in process.
 */
export interface RequestMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers?: Pick<MsgHdrs, 'get'>;
  /** Sends the reply; throws when the connection is closing or the reply is larger than the server takes. */
  respond(data: Uint8Array, opts: { headers: MsgHdrs }): boolean;
}

/** Limits on what a request may carry (`requests.*` in the configuration). */
export interface RequestLimits {
  /** Largest body, bytes; a larger one is refused before it is parsed. */
  readonly maxBodyBytes: number;
  /** Longest dry-run rule, characters. */
  readonly maxRuleLength: number;
}

/** One request subject and how it is answered. */
export interface Endpoint {
  /** The subject after the prefix, e.g. `customers.get`. */
  readonly name: string;
  /**
   * Answers a decoded body (undefined: the body was empty) with the result to send. Throws a
   * {@link RequestRefusal} for an answer that is a coded error; anything else thrown is answered as `internal`.
   */
  answer(body: unknown, limits: RequestLimits): unknown;
}

/**
 * A request refused with a code from `REQUEST_ERRORS`: answered as `{ error: { code, message } }`. The message
 * never holds more than a clipped excerpt of what the requester sent.
 */
export class RequestRefusal extends Error {
  override readonly name: string = 'RequestRefusal';
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown by an endpoint when another instance answers this request (the customer's partition is owned elsewhere:
 * every instance receives the request, only the owner replies). No reply is sent.
 */
export class AnsweredElsewhere extends Error {
  override readonly name: string = 'AnsweredElsewhere';
}

/** The wire shape of every error reply. */
export interface ErrorReply {
  readonly error: { readonly code: RequestErrorCode; readonly message: string };
}
