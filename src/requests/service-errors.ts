import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { RequestErrorCode } from '../contract/codes.js';

/** The header of a NATS micro service error reply that carries its description (the NATS micro protocol). */
export const SERVICE_ERROR_HEADER = 'Nats-Service-Error';
/** The header of a NATS micro service error reply that carries its number (the NATS micro protocol). */
export const SERVICE_ERROR_CODE_HEADER = 'Nats-Service-Error-Code';

/**
 * The number sent in `Nats-Service-Error-Code` for each request error code, on HTTP's scale, as the micro protocol
 * suggests: 4xx the request is at fault (do not retry it as is), 5xx the engine (503: retry later). Several stable
 * codes share a number; clients that need the exact reason read the body's `error.code`. Typed over every code, so
 * a new request error cannot be added without its number.
 */
export const SERVICE_ERROR_STATUS = {
  body_too_large: 413,
  unsupported_content_type: 415,
  undecodable: 400,
  not_an_object: 400,
  invalid_customer_id: 400,
  invalid_rule: 400,
  invalid_sample: 400,
  not_found: 404,
  rule_refused: 422,
  dry_run_failed: 503,
  not_ready: 503,
  rollback_refused: 409,
  reply_too_large: 500,
  internal: 500,
  erase_failed: 500,
  partitions_incomplete: 503,
} as const satisfies Record<RequestErrorCode, number>;

/**
 * Characters of an error message repeated in the `Nats-Service-Error` header, at most: the header counts against
 * max_payload together with the body, which already holds the whole message.
 */
export const SERVICE_ERROR_HEADER_LIMIT = 128;

// Header values cannot hold CR or LF (nats.js throws), and other control characters only garble a terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** A message as a header value: control characters (a customer id may hold a newline) as spaces, clipped. */
export function headerText(message: string): string {
  const flat = message.replace(CONTROL, ' ');
  return flat.length <= SERVICE_ERROR_HEADER_LIMIT
    ? flat
    : `${flat.slice(0, SERVICE_ERROR_HEADER_LIMIT - 1)}…`;
}

/** The headers of an error reply: its Content-Type plus the micro protocol's error description and number. */
export function errorHeaders(contentType: string, code: RequestErrorCode, message: string): MsgHdrs {
  const h = natsHeaders();
  h.set('Content-Type', contentType);
  h.set(SERVICE_ERROR_HEADER, headerText(message));
  h.set(SERVICE_ERROR_CODE_HEADER, String(SERVICE_ERROR_STATUS[code]));
  return h;
}
