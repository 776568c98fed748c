import { map, type OperatorFunction } from 'rxjs';
import type { InboundBatch } from '../ingest/types.js';
import { decodeBatch } from './decode-batch.js';
import type { DecodeOptions } from './options.js';
import type { DecodedBatch } from './types.js';

/** What the decode stage needs. */
export interface DecodeDeps {
  /** Limits and the subject prefix; see {@link DecodeOptions}. */
  readonly options: DecodeOptions;
}

/**
 * The decode stage: each inbound batch becomes one {@link DecodedBatch} of valid events (in order) and
 * rejections for the dead-letter subject. Never errors the stream on bad input.
 */
export function decode(deps: DecodeDeps): OperatorFunction<InboundBatch, DecodedBatch> {
  const { options } = deps;
  // No wall clock: each message's `ts` is bounded against the time the stream stored it (see decodeBatch).
  return map((batch) => decodeBatch(batch, options));
}
