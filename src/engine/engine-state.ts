import { ChurnflowError } from '../contract/codes.js';
import type { ScoreChanges } from '../publish/index.js';
import type { ColumnArray, SnapshotContent } from '../snapshot/format.js';
import { stateReader, stateWriter } from '../snapshot/state-io.js';
import type { CustomerStore } from '../state/types.js';
import type { CustomerLifecycle } from './customer-lifecycle.js';
import type { EvaluationPlanner } from './evaluation-planner.js';

/** The parts of an engine whose state a snapshot holds. */
export interface EngineParts {
  readonly store: CustomerStore;
  readonly published: ScoreChanges;
  readonly lifecycle: CustomerLifecycle;
  readonly planner: EvaluationPlanner;
}

/**
 * Everything the engine keeps per customer, copied at a quiet moment (nothing applied but unscored): store columns
 * and ids, last published scores and sequence counts, memberships with their dwell and held exits, stage tracker,
 * flip counters, timers, and the clock; `streamSeq` is the last stream sequence applied.
 */
export function saveEngineState(parts: EngineParts, streamSeq: number, partition: number): SnapshotContent {
  const arrays: Record<string, ColumnArray> = {};
  const json: Record<string, unknown> = {};
  const slots = parts.store.slotEnd;
  parts.store.saveState(stateWriter(arrays, json, 'store'));
  parts.published.saveState(stateWriter(arrays, json, 'published'), slots);
  parts.lifecycle.saveState(stateWriter(arrays, json, 'segments'), stateWriter(arrays, json, 'stages'), slots);
  parts.planner.saveState(stateWriter(arrays, json, 'timers'), slots);
  return { streamSeq, partition, createdAtMs: Date.now(), arrays, json };
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
  parts.store.loadState(reader('store'));
  parts.published.loadState(reader('published'));
  const sameRules = parts.lifecycle.loadState(reader('segments'), reader('stages'));
  parts.planner.loadState(reader('timers'));
  return sameRules;
}
