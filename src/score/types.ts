export { STAGES } from '../contract/stages.js';
export type { Stage } from '../contract/stages.js';

/**
 * One reason behind a customer's churn risk: a feature of the model, whether it pushes the risk up or down,
 * and by how much (its contribution to the log-odds of churn relative to the reference customer, whose
 * features all sit at the model's normalisation mean; the sign matches `direction`).
 */
export interface Reason {
  /** Engine feature name (FEATURES). */
  readonly feature: string;
  /** 'up': this feature raises the churn risk; 'down': it lowers it. */
  readonly direction: 'up' | 'down';
  /** Contribution to the log-odds of churn, signed; larger magnitude = stronger. */
  readonly weight: number;
}

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
  /**
   * The top `k` reasons behind each row's churn risk (same `features` layout as `predict`), strongest first:
   * one list per row, possibly shorter than `k` (a feature at its reference value is no reason). Optional:
   * a model that cannot explain itself leaves it out. See docs/scoring.md "Reason codes".
   */
  explain?(features: Float32Array, rows: number, k: number): Promise<Reason[][]>;
  /** Releases tensors and weights. */
  dispose(): void;
}

/**
 * The scores of one micro-batch, columnar: row `i` belongs to `slots[i]`.
 * `features` is a view of the scorer's reused matrix (rows × FEATURE_COUNT, FEATURES order): it stays valid
 * until the next `score()` call starts, so copy the rows you keep.
 */
export interface ScoredBatch {
  /** The slots scored, in row order (the array passed to `score`). */
  readonly slots: readonly number[];
  /** P(churn) per row, in [0, 1]. */
  readonly churnRisk: Float32Array;
  /** Engagement per row, integer 0..100. */
  readonly engagement: Uint8Array;
  /** Lifecycle stage per row, as an index into {@link STAGES}. */
  readonly stage: Uint8Array;
  /** The feature matrix the scores were computed from (a view; see above). */
  readonly features: Float32Array;
  /** Name of the model that produced `churnRisk`. */
  readonly modelName: string;
  /** Version of the model that produced `churnRisk`. */
  readonly modelVersion: string;
  /**
   * Top reasons per row, for the rows `explainRows` picked (others are empty slots), when the scorer was asked for
   * reasons and the model explains itself.
   */
  readonly reasons?: Reason[][];
  /** BG/NBD P(alive) per row, when the model's manifest carries BG/NBD parameters. */
  readonly pAlive?: Float32Array;
  /** BG/NBD expected purchases over the configured horizon per row (with `pAlive`). */
  readonly expectedPurchases?: Float32Array;
  /** Predicted CLV over the horizon per row, when the manifest also carries Gamma-Gamma parameters. */
  readonly predictedClv?: Float32Array;
}

/** Scores micro-batches of customers: one feature matrix, one model call per batch. */
export interface Scorer {
  /** The model the next batch will use. */
  readonly model: ChurnModel;
  /**
   * Scores the given slots (a slot may appear in several rows) with ONE model call. Calls are serialised: a call made while another is in
   * flight starts when that one has finished, so the reused matrix is never overwritten under a caller.
   */
  score(
    slots: readonly number[],
    explainRows?: (batch: ScoredBatch) => readonly number[],
    /** The rows' features (rows × FEATURE_COUNT) when the caller computed them; otherwise `featuresOf` is asked. */
    features?: Float32Array,
  ): Promise<ScoredBatch>;
  /**
   * Replaces the model between batches: batches requested after this call use `model`; those requested
   * before it (in flight or queued) finish on the old one. Resolves to the old model once no batch uses
   * it any more, so the caller may dispose it.
   */
  swapModel(model: ChurnModel): Promise<ChurnModel>;
}
