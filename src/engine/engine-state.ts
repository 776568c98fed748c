import { ChurnflowError } from '../contract/codes.js';
import type { ScoreChanges } from '../publish/index.js';
import type { ColumnArray, SnapshotContent } from '../snapshot/format.js';
import { stateReader, stateWriter } from '../snapshot/state-io.js';
import type { CustomerStore } from '../state/types.js';
import type { CustomerLifecycle } from './customer-lifecycle.js';
import type { EvaluationPlanner } from './evaluation-planner.js';
import type { HeldUpdates } from './held-updates.js';

/** The parts of an engine whose state a snapshot holds. */
export interface EngineParts {
  readonly store: CustomerStore;
  readonly published: ScoreChanges;
  readonly lifecycle: CustomerLifecycle;
  readonly planner: EvaluationPlanner;
  readonly held?: HeldUpdates;
}

/** The state of a range of slots, as a snapshot holds it (see {@link captureSlots}). */
export interface SlotsState {
  readonly arrays: Record<string, ColumnArray>;
  readonly json: Record<string, unknown>;
}

/** Copies the state of slots `from` to `to` (and the engine-wide values: clock, watermark, rules). */
export function captureSlots(parts: EngineParts, from: number, to: number): SlotsState {
  const arrays: Record<string, ColumnArray> = {};
  const json: Record<string, unknown> = {};
  parts.store.saveState(stateWriter(arrays, json, 'store'), from, to);
  parts.published.saveState(stateWriter(arrays, json, 'published'), from, to);
  const segments = stateWriter(arrays, json, 'segments');
  parts.lifecycle.saveState(segments, stateWriter(arrays, json, 'stages'), from, to);
  parts.planner.saveState(stateWriter(arrays, json, 'timers'), from, to);
  parts.held?.saveState(stateWriter(arrays, json, 'held'), from, to);
  return { arrays, json };
}

/**
 * One snapshot from consecutive slot ranges captured at different moments: columns are concatenated in slot order
 * and the ids too; the engine-wide values (clock, watermark) are the first range's — the moment `streamSeq` was
 * read — because replaying from there re-derives the rest (a customer captured later already holds the events
 * after it, and skips them as duplicates, which still move the clock as they did).
 */
export function joinSlots(
  ranges: readonly SlotsState[],
  streamSeq: number,
  partition: number,
): SnapshotContent {
  const first = ranges[0] ?? { arrays: {}, json: {} };
  const arrays: Record<string, ColumnArray> = {};
  for (const name of Object.keys(first.arrays)) {
    const parts = ranges.map((r) => r.arrays[name] as ColumnArray);
    const total = parts.reduce((n, a) => n + a.length, 0);
    const out = new (parts[0]!.constructor as new (n: number) => ColumnArray)(total);
    let at = 0;
    for (const a of parts) {
      out.set(a, at);
      at += a.length;
    }
    arrays[name] = out;
  }
  const json = { ...first.json, 'store.ids': ranges.flatMap((r) => r.json['store.ids'] as string[]) };
  return { streamSeq, partition, createdAtMs: Date.now(), arrays, json };
}

/** The whole state in one go (a stopped engine, tests, benchmarks). */
export function saveEngineState(parts: EngineParts, streamSeq: number, partition: number): SnapshotContent {
  return joinSlots([captureSlots(parts, 0, parts.store.slotEnd)], streamSeq, partition);
}

/**
 * Loads a snapshot into a fresh engine's parts. Returns whether the snapshot was taken under the rules in force
 * (false: every customer must be re-evaluated). A missing column is a corrupt snapshot (SNAPSHOT_CORRUPT).
 */
export function loadEngineState(parts: EngineParts, content: SnapshotContent, name: string): boolean {
  const missing = (what: string): never => {
    throw new ChurnflowError('SNAPSHOT_CORRUPT', `snapshot ${name}: ${what} missing or of the wrong kind`, {
      key: name,
    });
  };
  const reader = (scope: string) => stateReader(content.arrays, content.json, scope, missing);
  const superseded = parts.store.loadState(reader('store'));
  parts.published.loadState(reader('published'));
  const sameRules = parts.lifecycle.loadState(reader('segments'), reader('stages'));
  parts.planner.loadState(reader('timers'));
  // Optional: snapshots written before updates were held have none (and older engines ignore the column).
  parts.held?.loadState('held.atMs' in content.arrays ? reader('held') : undefined);
  for (const slot of superseded) {
    parts.published.forget(slot);
    parts.lifecycle.forget(slot);
    parts.planner.forget(slot);
    parts.held?.drop(slot);
  }
  return sameRules;
}
