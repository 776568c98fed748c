/**
 * Replays a training source into a training set: every batch through the real CustomerStore (via
 * {@link TrainingSetBuilder}), with progress reported as it goes.
 */
import { TrainingSetBuilder, type TrainingSet, type TrainingSetOptions } from './training-set.js';
import type { TrainingSource } from './training-source.js';

/** Called after each replayed batch: progress in the source's unit, and events replayed so far. */
export type ReplayProgress = (done: number, total: number, events: number) => void;

/**
 * Reads the whole source and builds the training set. A source that knows its window up front (the
 * simulator) fixes the cut-offs; otherwise they follow the events (see CutoffPlan).
 * @throws RangeError on bad cut-off options; a source's I/O errors as they are.
 */
export async function replayTrainingSet(
  source: TrainingSource,
  opts: TrainingSetOptions = {},
  onProgress?: ReplayProgress,
): Promise<TrainingSet> {
  const builder = new TrainingSetBuilder(opts, source.window);
  let events = 0;
  for await (const batch of source.batches()) {
    builder.push(batch.events);
    events += batch.events.length;
    onProgress?.(batch.done, source.total, events);
  }
  return builder.finish(source.window?.endMs);
}
