/** Lifecycle stages along the customer journey, plus the three risk stages. */
export const STAGES = [
  'awareness',
  'nurture',
  'evaluation',
  'first_purchase',
  'repeat',
  'advocate',
  'at_risk',
  'lapsed',
  'churned',
] as const;

/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];

/** A loaded churn model: features in, P(churn) out, on micro-batches. */
export interface ChurnModel {
  readonly name: string;
  readonly version: string;
  /** The features the model reads, in its input order (a subset of the engine's FEATURES). */
  readonly featureNames: readonly string[];
  /**
   * Churn risk for `rows` customers. `features` holds rows × FEATURE_COUNT values in the engine's FEATURES
   * order; the model selects and normalises its own columns. Returns one probability in [0, 1] per row.
   */
  predict(features: Float32Array, rows: number): Promise<Float32Array>;
  /** Releases tensors and weights. */
  dispose(): void;
}

/** Scores of one customer at one moment. */
export interface CustomerScores {
  readonly slot: number;
  readonly churnRisk: number;
  /** 0..100, integer. */
  readonly engagement: number;
  readonly stage: Stage;
}
