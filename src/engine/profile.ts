import type { ScoreChanges } from '../publish/index.js';
import { STAGES, type Scorer } from '../score/index.js';
import { FEATURE_NAMES } from '../state/feature-catalog.js';
import type { CustomerStore } from '../state/types.js';
import type { CustomerLifecycle } from './customer-lifecycle.js';
import type { CustomerProfile } from './types.js';

/**
 * Scores one customer on demand through the same scorer as the stream (so it queues behind in-flight batches
 * and uses the current model), with reasons; nothing is published and no published state changes.
 */
export async function profileOf(
  customerId: string,
  deps: {
    store: CustomerStore;
    scorer: Scorer;
    lifecycle: CustomerLifecycle;
    published: ScoreChanges;
    modelRef: (name: string, version: string) => Readonly<{ name: string; version: string }>;
    /** The engine's clock: the profile's features are computed at it. */
    nowMs: () => number;
  },
): Promise<CustomerProfile | undefined> {
  const slot = deps.store.slotOf(customerId);
  if (slot === undefined) return undefined;
  const eventTime = deps.nowMs();
  let features: Record<string, number> = {};
  const scored = await deps.scorer.score([slot], (b) => {
    // The matrix is only valid inside the scorer's call: read the features here.
    features = Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, b.features[i] as number]));
    return [0];
  });
  const alive = scored.pAlive?.[0];
  const expected = scored.expectedPurchases?.[0];
  const clv = scored.predictedClv?.[0];
  return {
    found: true,
    customerId,
    eventTime,
    features,
    churnRisk: Math.round((scored.churnRisk[0] as number) * 10_000) / 10_000,
    engagement: scored.engagement[0] as number,
    stage: STAGES[scored.stage[0] as number] as string,
    segments: deps.lifecycle.segmentsOf(slot).names,
    reasons: scored.reasons?.[0] ?? [],
    model: deps.modelRef(scored.modelName, scored.modelVersion),
    ...(alive !== undefined && Number.isFinite(alive) ? { pAlive: alive } : {}),
    ...(expected !== undefined && Number.isFinite(expected) ? { expectedPurchases: expected } : {}),
    ...(clv !== undefined && Number.isFinite(clv) ? { predictedClv: Math.round(clv * 100) / 100 } : {}),
    seq: deps.published.seq(slot),
  };
}
