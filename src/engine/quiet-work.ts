import type { Logger } from 'pino';
import type { EngineMetrics } from '../metrics/index.js';
import type { FlowGate } from '../rx/index.js';
import type { SnapshotContent } from '../snapshot/format.js';
import { captureSlots, joinSlots, type EngineParts, type SlotsState } from './engine-state.js';

/** Work that needs the engine quiet: ingestion held, nothing read left unapplied or unscored. */
export interface QuietWork {
  /** Holds ingestion, waits for quiet, runs `work`, lets ingestion go on. */
  run<T>(work: () => T): Promise<T>;
}

/**
 * `busy`: something read is not through scoring yet; `nudge`: tells scoring to take waiting rows now (a quiet
 * moment must not wait for a micro-batch's delay).
 */
export function createQuietWork(
  flow: FlowGate | undefined,
  busy: () => boolean,
  nudge: () => void,
): QuietWork {
  const quiet = async (): Promise<void> => {
    while (busy()) {
      nudge();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  return {
    async run(work) {
      const release = flow?.hold() ?? (() => undefined);
      try {
        await quiet();
        return work();
      } finally {
        release();
      }
    },
  };
}

/**
 * Erases a customer at a quiet moment (no row of theirs may be scored after the slot is freed and reused): state,
 * memberships, stage, timers, held and published scores, without any event. Returns the `seq` its tombstone
 * carries (one above its last update), or undefined when the customer is unknown.
 */
export function eraseCustomer(
  parts: Required<EngineParts>,
  customerId: string,
  metrics: EngineMetrics,
  log: Logger,
): number | undefined {
  const { store, published, lifecycle, planner, held } = parts;
  const slot = store.slotOf(customerId);
  if (slot === undefined) return undefined;
  const seq = published.seq(slot) + 1;
  held.drop(slot);
  store.remove(customerId);
  lifecycle.forget(slot);
  planner.forget(slot);
  published.forget(slot);
  metrics.customers.set(store.size);
  log.info({ customer: customerId.length }, 'customer erased');
  return seq;
}

/**
 * Everything the engine keeps, captured in slices of `sliceCustomers`, each at its own quiet moment: ingestion
 * pauses for one slice's copy at a time (a million customers in one go held it for most of a second). The first
 * slice fixes the stream sequence covered (`streamSeq()` then).
 */
export async function captureInSlices(
  work: QuietWork,
  parts: EngineParts,
  sliceCustomers: number,
  streamSeq: () => number,
  partition: number,
): Promise<SnapshotContent> {
  const ranges: SlotsState[] = [];
  let covered = 0;
  let end = 0;
  for (let from = 0; ranges.length === 0 || from < end; from += sliceCustomers) {
    await work.run(() => {
      if (ranges.length === 0) [covered, end] = [streamSeq(), parts.store.slotEnd];
      ranges.push(captureSlots(parts, from, Math.min(end, from + sliceCustomers)));
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return joinSlots(ranges, covered, partition);
}
