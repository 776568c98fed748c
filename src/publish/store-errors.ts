import { JetStreamApiError } from '@nats-io/jetstream';
import {
  ConnectionError,
  InvalidArgumentError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { ChurnflowError } from '../contract/codes.js';
import { causes } from '../nats/index.js';
import type { Rejection } from '../decode/types.js';

/**
 * Some dead letters of a batch were not stored: `notStored` says which (the others are stored), `cause` why (the
 * first failure that is worth retrying, else the first failure).
 */
export class DeadLettersNotStoredError extends ChurnflowError {
  override readonly name = 'DeadLettersNotStoredError';
  constructor(
    readonly notStored: readonly Rejection[],
    cause: unknown,
  ) {
    super(
      'DEAD_LETTERS_NOT_STORED',
      `${notStored.length} dead letter(s) not stored: ${String(cause)}`,
      {},
      { cause },
    );
  }
}

/** JetStream's error code for a message larger than the stream's `max_msg_size`. */
const MESSAGE_TOO_LARGE = 10054;
/** JetStream's error code for "JetStream system temporarily unavailable" (no meta leader, a restart): 503. */
const TEMPORARILY_UNAVAILABLE = 10008;

/**
 * True for failures that can heal by themselves within seconds, so storing again later may work: a request that
 * timed out or found no responders (JetStream restarting or electing a leader; the dead-letter stream missing),
 * a connection error (the client reconnects forever), a JetStream API error "temporarily unavailable" (10008) or
 * a 408. Everything else is a verdict that waiting does not change (permissions, a closed or draining connection,
 * a stream full with discard-new, a message too large, a file sink's write error) and is not retried.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof DeadLettersNotStoredError) return isRetryable(err.cause);
  for (const e of causes(err)) {
    if (e instanceof TimeoutError || e instanceof NoRespondersError || e instanceof ConnectionError)
      return true;
    if (e instanceof RequestError) return true;
    // Not every 503 heals: "maximum messages exceeded" (10077, a full stream with discard-new) is a 503 too.
    if (e instanceof JetStreamApiError) return e.status === 408 || e.code === TEMPORARILY_UNAVAILABLE;
  }
  return false;
}

/**
 * True when a message was refused for its size: by the client before sending (nats.js throws its
 * InvalidArgumentError for headers + payload over the server's `max_payload`; a publish raises no other) or by the
 * stream (`max_msg_size`, JetStream error 10054).
 */
export function isTooLarge(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof InvalidArgumentError) return true;
    if (e instanceof JetStreamApiError) return e.code === MESSAGE_TOO_LARGE;
  }
  return false;
}
