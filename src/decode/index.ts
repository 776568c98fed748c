/**
 * The decode stage: inbound message bytes to validated customer events, bad input to dead-letter rejections.
 */
export { decode } from './decode.js';
export type { DecodeDeps } from './decode.js';
export { decodeBatch } from './decode-batch.js';
export { DEFAULT_DECODE_OPTIONS } from './options.js';
export type { DecodeOptions } from './options.js';
export { payloadEncoding } from './content-type.js';
export type { PayloadEncoding } from './content-type.js';
export { decodePayload, Undecodable } from './decode-payload.js';
export { validateEvent } from './validate-event.js';
export { Problem } from './problem.js';
export type { ClockTick, DecodedBatch, DecodedEvent, Rejection } from './types.js';
