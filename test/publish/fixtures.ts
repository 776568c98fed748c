import type { ScoreUpdate } from '../../src/contract/score-update.js';
import type { Rejection } from '../../src/decode/types.js';

/** A valid score update for `customerId`; `over` replaces fields. */
export function scoreUpdate(customerId: string, over: Partial<ScoreUpdate> = {}): ScoreUpdate {
  return {
    customerId,
    seq: 1,
    eventTime: 1_760_000_000_000,
    churnRisk: 0.4215,
    engagement: 63,
    stage: 'repeat',
    segments: [],
    reasons: [],
    model: { name: 'churn-test', version: '1.2.3' },
    ...over,
  };
}

/** A dead letter as the decode stage makes it: original bytes, reason, subject and stream sequence. */
export function rejection(streamSeq: number, data: Uint8Array, over: Partial<Rejection> = {}): Rejection {
  return {
    kind: 'rejected',
    reason: 'undecodable',
    detail: 'payload: not valid JSON (Unexpected token)',
    subject: 'events.ann%40example%2Ecom.page_view',
    data,
    streamSeq,
    ...over,
  };
}

/** Bytes no decoder accepts, different for every `n`. */
export function junk(n: number): Uint8Array {
  return Uint8Array.from([0xc1, 0xff, 0x00, n & 0xff, 0x0a, 0x22, (n >> 8) & 0xff]);
}
