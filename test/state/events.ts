import type { CustomerEvent } from '../../src/contract/event.js';
import type { DecodedEvent } from '../../src/decode/types.js';
import { FEATURE_COUNT, featureIndex } from '../../src/state/feature-catalog.js';
import type { CustomerStore } from '../../src/state/types.js';

/** Test helper: a decoded event as the decode stage would hand it over. `seq` 0 = unsequenced. */
export function decoded(event: CustomerEvent, seq = 0): DecodedEvent {
  return {
    event,
    subject: `events.${event.customerId}.${event.type}`,
    data: new TextEncoder().encode(JSON.stringify(event)),
    streamSeq: seq,
    publishedAtMs: event.ts,
  };
}

/** Shorthand: one event of `customerId` at ISO time `iso` (UTC). */
export function at(
  customerId: string,
  type: string,
  iso: string,
  extra: { value?: number; channel?: CustomerEvent['channel'] } = {},
): CustomerEvent {
  return { customerId, type, ts: Date.parse(iso), ...extra };
}

/** The feature vector of a customer at `nowMs`, as a plain array. */
export function vector(store: CustomerStore, customerId: string, nowMs: number): number[] {
  const slot = store.slotOf(customerId);
  if (slot === undefined) throw new Error(`no slot for ${customerId}`);
  const out = new Float32Array(FEATURE_COUNT).fill(Number.NaN);
  store.features(slot, nowMs, out, 0);
  return Array.from(out);
}

/** One named feature of a customer at `nowMs`. */
export function feature(store: CustomerStore, customerId: string, name: string, nowMs: number): number {
  const i = featureIndex(name);
  if (i < 0) throw new Error(`unknown feature ${name}`);
  return vector(store, customerId, nowMs)[i]!;
}
