import { FEATURE_COUNT, featureIndex } from '../../src/state/feature-catalog.js';
import { STAGES, type Stage } from '../../src/contract/stages.js';
import type { SegmentScores } from '../../src/segment/index.js';

/** One customer row for tests: features by name (others take the neutral defaults) and scores. */
export interface Row {
  readonly features?: Record<string, number>;
  readonly churnRisk?: number;
  readonly engagement?: number;
  readonly stage?: Stage;
  readonly pAlive?: number;
  readonly expectedPurchases?: number;
  readonly predictedClv?: number;
}

/** A customer who belongs to no default segment: active, a few purchases, no voice, no messaging. */
export const NEUTRAL: Readonly<Record<string, number>> = {
  days_since_last_activity: 1,
  days_since_last_purchase: 20,
  tenure_days: 200,
  purchases_90d: 2,
  purchases_lifetime: 3,
  revenue_90d: 150,
  revenue_lifetime: 250,
  views_30d: 10,
  cart_adds_7d: 0,
  days_since_last_cart_add: 365,
  last_nps: -1,
};

/**
 * Builds a batch (feature matrix + score columns) from rows; BG/NBD columns only when some row sets `pAlive`,
 * the CLV column only when some row also sets `predictedClv`.
 */
export function batch(rows: readonly Row[]): { features: Float32Array; scores: SegmentScores } {
  const features = new Float32Array(rows.length * FEATURE_COUNT);
  const churnRisk = new Float32Array(rows.length);
  const engagement = new Uint8Array(rows.length);
  const stage = new Uint8Array(rows.length);
  const withBaseline = rows.some((r) => r.pAlive !== undefined);
  const pAlive = new Float32Array(rows.length);
  const expectedPurchases = new Float32Array(rows.length);
  const withClv = rows.some((r) => r.predictedClv !== undefined);
  const predictedClv = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    for (const [name, v] of Object.entries({ ...NEUTRAL, ...r.features })) {
      const col = featureIndex(name);
      if (col < 0) throw new Error(`test uses unknown feature ${name}`);
      features[i * FEATURE_COUNT + col] = v;
    }
    churnRisk[i] = r.churnRisk ?? 0.1;
    engagement[i] = r.engagement ?? 50;
    stage[i] = STAGES.indexOf(r.stage ?? 'repeat');
    pAlive[i] = r.pAlive ?? 0.9;
    expectedPurchases[i] = r.expectedPurchases ?? 1;
    predictedClv[i] = r.predictedClv ?? 100;
  });
  const scores: SegmentScores = withBaseline
    ? { churnRisk, engagement, stage, pAlive, expectedPurchases, ...(withClv ? { predictedClv } : {}) }
    : { churnRisk, engagement, stage };
  return { features, scores };
}

/** Customer ids for slots in tests. */
export const idOf = (slot: number): string => `c${slot}`;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** An event time in 2026, epoch ms. */
export const T0 = Date.UTC(2026, 5, 1);
