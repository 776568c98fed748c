/**
 * The split by customer: every row of one customer lands in the same split (train, validation or test), decided
 * by a seeded hash of the customer id alone, so it is stable across sources, cut-offs and runs.
 */
import { mixSeed } from '../simulate/prng.js';

/** Split code of a training row. */
export const SPLIT_TRAIN = 0;
/** Split code of an early-stopping row. */
export const SPLIT_VALIDATION = 1;
/** Split code of a held-out row. */
export const SPLIT_TEST = 2;

/** The split of a customer: test with probability `testShare`, validation with `validationShare`, else train. */
export function customerSplit(
  customerId: string,
  seed: number,
  testShare: number,
  validationShare: number,
): number {
  const u = mixSeed(seed, fnv1a(customerId), 0x5711) / 4294967296;
  return u < testShare ? SPLIT_TEST : u < testShare + validationShare ? SPLIT_VALIDATION : SPLIT_TRAIN;
}

/** 32-bit FNV-1a of a string's UTF-16 units: a stable per-customer hash. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
