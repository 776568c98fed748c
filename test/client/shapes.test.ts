import { describe, expect, it } from 'vitest';
import type { CustomerProfile as EngineProfile } from '../../src/engine/types.js';
import type { SegmentSummary as EngineSegment } from '../../src/engine/customer-lifecycle.js';
import type { Aggregates as EngineAggregates } from '../../src/engine/aggregates.js';
import type { DryRunResult as EngineDryRun } from '../../src/segment/dry-run.js';
import type { RegistryStatus } from '../../src/score/model-registry.js';
import type { EraseResult as EngineErase, ScoreTombstone as EngineTombstone } from '../../src/erase/index.js';
import * as client from '../../src/client/index.js';
import type {
  Aggregates,
  CustomerProfile,
  DryRunResult,
  EraseResult,
  ModelStatus,
  ScoreTombstone,
  SegmentSummary,
  Stage,
} from '../../src/client/index.js';

// Compile-time: every engine reply type fits the client's reply type (tsc fails here when they drift apart).
// The client's schemas are a little wider where the wire is (NaN as null, an absent version as nil).
// Readonly-ness is the engine's business, not the wire's: it is removed before comparing.
type Fits<A extends B, B> = [A, B];
type Wire<T> = T extends readonly (infer U)[]
  ? Wire<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Wire<T[K]> }
    : T;
export type ReplyTypesFit = [
  // The engine types `stage` as a string; its values come from STAGES, which the client's type spells out.
  Fits<Wire<Omit<EngineProfile, 'stage'>> & { stage: Stage }, CustomerProfile>,
  Fits<EngineSegment, SegmentSummary>,
  Fits<EngineAggregates, Aggregates>,
  Fits<EngineDryRun, DryRunResult>,
  Fits<Wire<RegistryStatus>, ModelStatus>,
  Fits<EngineErase, EraseResult>,
  Fits<EngineTombstone, ScoreTombstone>,
];

describe('the client public surface', () => {
  it('exports the payload schemas, subject helpers, subscriber and request helpers', () => {
    for (const name of [
      'ScoreUpdateSchema',
      'SegmentChangeSchema',
      'StageTransitionSchema',
      'CustomerProfileSchema',
      'ScoreTombstoneSchema',
      'scoreSubject',
      'segmentSubject',
      'stageSubject',
      'requestSubject',
      'subscribeScores',
      'getCustomer',
      'listSegments',
      'dryRunSegment',
      'getAggregates',
      'modelStatus',
      'eraseCustomer',
      'ChurnflowRequestError',
    ]) {
      expect(client, name).toHaveProperty(name);
    }
  });

  it('re-exports the contract schemas themselves, not copies', async () => {
    const contract = await import('../../src/contract/score-update.js');
    expect(client.ScoreUpdateSchema).toBe(contract.ScoreUpdateSchema);
  });
});
