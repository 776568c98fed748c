import { FEATURE_COUNT } from '../state/feature-catalog.js';
import { engagementScore } from './engagement.js';
import { lifecycleStageIndex, STAGE_THRESHOLDS, type StageThresholds } from './stage.js';
import type { ChurnModel, Reason, ScoredBatch, Scorer } from './types.js';
import { bgnbdColumns, type BaselineHorizon } from './bgnbd-columns.js';

/** What a scorer needs: the model and a way to write a customer's feature vector. */
export interface ScorerDeps {
  /** The churn model for the first batches; replace it with `swapModel`. */
  readonly model: ChurnModel;
  /**
   * Writes the feature vector (FEATURES order, FEATURE_COUNT values) of `slot` into `out` at `offset`,
   * at the scoring time the caller chose (typically `store.features(slot, nowMs, out, offset)`).
   */
  readonly featuresOf: (slot: number, out: Float32Array, offset: number) => void;
  /** Lifecycle-stage thresholds. @default STAGE_THRESHOLDS */
  readonly stageThresholds?: StageThresholds;
  /** Rows the feature matrix is first sized for; it grows by doubling. @default 1024 */
  readonly initialRows?: number;
  /** Reasons per row from `model.explain`, when the model has it; 0 turns them off. @default 0 */
  readonly reasons?: number;
  /**
   * Horizon of the BG/NBD expected purchases and predicted CLV, for models whose manifest carries their
   * parameters. @default 90 days, no discount
   */
  readonly baselineHorizon?: BaselineHorizon;
}

/**
 * Creates a {@link Scorer}: per batch it fills ONE reused feature matrix, calls the model ONCE, and
 * computes engagement and lifecycle stage per row into columnar typed arrays.
 */
export function createScorer(deps: ScorerDeps): Scorer {
  return new BatchScorer(deps);
}

class BatchScorer implements Scorer {
  private current: ChurnModel;
  private readonly featuresOf: ScorerDeps['featuresOf'];
  private readonly thresholds: StageThresholds;
  // rows × FEATURE_COUNT, reused by every batch (grown by doubling): at 1024 rows that is 200 KB the
  // heap does not have to allocate and collect 200 times a second at the throughput budget.
  private matrix: Float32Array;
  // The end of the chain of batches: each score() starts when the previous one settled, so the matrix a
  // caller was handed is only overwritten by a batch the caller asked for after it.
  private tail: Promise<unknown> = Promise.resolve();
  private readonly reasonsK: number;
  private readonly horizon: BaselineHorizon;

  constructor(deps: ScorerDeps) {
    this.current = deps.model;
    this.featuresOf = deps.featuresOf;
    this.thresholds = deps.stageThresholds ?? STAGE_THRESHOLDS;
    this.reasonsK = deps.reasons ?? 0;
    this.horizon = deps.baselineHorizon ?? { horizonDays: 90, annualDiscountRate: 0 };
    this.matrix = new Float32Array(Math.max(1, deps.initialRows ?? 1024) * FEATURE_COUNT);
  }

  get model(): ChurnModel {
    return this.current;
  }

  score(
    slots: readonly number[],
    explainRows?: (batch: ScoredBatch) => readonly number[],
    features?: Float32Array,
  ): Promise<ScoredBatch> {
    // The model is fixed when the batch is asked for, not when it starts: a swap only affects batches
    // requested after it, which is what makes the old model safe to dispose once the queue drains.
    const model = this.current;
    const run = this.tail.then(() => this.run(slots, model, explainRows, features));
    // A failed batch must not poison the chain for the batches queued behind it.
    this.tail = run.catch(() => undefined);
    return run;
  }

  swapModel(model: ChurnModel): Promise<ChurnModel> {
    const old = this.current;
    this.current = model;
    // Every batch requested before now captured `old` and sits in the chain ahead of this point.
    return this.tail.then(() => old);
  }

  private async run(
    slots: readonly number[],
    model: ChurnModel,
    explainRows: ((batch: ScoredBatch) => readonly number[]) | undefined,
    given: Float32Array | undefined,
  ): Promise<ScoredBatch> {
    const rows = slots.length;
    const need = rows * FEATURE_COUNT;
    let m: Float32Array;
    if (given !== undefined) m = given;
    else {
      if (this.matrix.length < need) this.matrix = new Float32Array(Math.max(need, this.matrix.length * 2));
      m = this.matrix;
      for (let i = 0; i < rows; i++) this.featuresOf(slots[i]!, m, i * FEATURE_COUNT);
    }

    const engagement = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) engagement[i] = engagementScore(m, i * FEATURE_COUNT);

    const churnRisk = await model.predict(m, rows);
    if (churnRisk.length < rows) {
      throw new RangeError(
        `model ${model.name}@${model.version} returned ${churnRisk.length} scores for ${rows} rows`,
      );
    }
    const stage = new Uint8Array(rows);
    const t = this.thresholds;
    for (let i = 0; i < rows; i++) stage[i] = lifecycleStageIndex(m, i * FEATURE_COUNT, churnRisk[i]!, t);

    const batch: ScoredBatch = {
      slots,
      churnRisk,
      engagement,
      stage,
      features: m.subarray(0, need),
      modelName: model.name,
      modelVersion: model.version,
      ...bgnbdColumns(model, m, rows, this.horizon),
    };
    if (explainRows === undefined) return batch;
    // The caller decides inside the chain which rows it publishes; only those are explained (explaining costs
    // several predictions), and only when reasons are wanted and the model can give them.
    const picked = explainRows(batch);
    if (picked.length === 0 || this.reasonsK === 0 || model.explain === undefined) return batch;
    const sub = new Float32Array(picked.length * FEATURE_COUNT);
    picked.forEach((row, j) =>
      sub.set(m.subarray(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT), j * FEATURE_COUNT),
    );
    const explained = await model.explain(sub, picked.length, this.reasonsK);
    const reasons = new Array<Reason[]>(rows);
    picked.forEach((row, j) => (reasons[row] = explained[j] ?? []));
    return { ...batch, reasons };
  }
}
