import type { RequestErrorCode } from '../contract/codes.js';

/**
 * The codes a {@link ChurnflowRequestError} carries: the engine's stable request error codes (`REQUEST_ERRORS`
 * in the README's "Request errors"), plus two of the client's own: `service_error` for an error reply that
 * carries only the NATS service error headers (no coded body), and `invalid_reply` for a reply that does not
 * match the endpoint's reply schema (an engine of another version, or something else answering on the subject).
 */
export type ClientErrorCode = RequestErrorCode | 'service_error' | 'invalid_reply';

/** An error reply of a churnflow request, or a reply the client cannot use. Branch on `code`, never on `message`. */
export class ChurnflowRequestError extends Error {
  override readonly name: string = 'ChurnflowRequestError';
  constructor(
    /** The stable code. */
    readonly code: ClientErrorCode,
    message: string,
    /** The request subject, e.g. `churnflow.customers.get`. */
    readonly subject: string,
    /** The `Nats-Service-Error-Code` header (a number, like an HTTP status) when the reply carried one. */
    readonly serviceCode?: number,
  ) {
    super(message);
  }
}
