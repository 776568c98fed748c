import { setModelInfo, showShadowMetrics, type ModelMetrics } from '../metrics/model-metrics.js';
import { FEATURE_COUNT } from '../state/feature-catalog.js';
import type { ChurnModel } from './types.js';

/** Score bins of the shadow comparison: [0, 0.1), [0.1, 0.2), … [0.9, 1.0]. */
export const SHADOW_BINS = 10;

/** Shadow scorer options. */
export interface ShadowScorerOptions {
  /** The challenger. */
  readonly model: ChurnModel;
  /** Churn-risk threshold of the agreement rate: rows agree when both scores are ≥ it or both < it. @default 0.5 */
  readonly threshold?: number;
  /** Rows of the sliding window the agreement, bins and PSI are computed over. @default 10000 */
  readonly windowRows?: number;
  /** Where the statistics are exported (updated once per batch); none when omitted. */
  readonly metrics?: ModelMetrics;
  /** Added to every bin share before the PSI's log, so an empty bin gives a large term, not Infinity. @default 1e-4 */
  readonly psiEpsilon?: number;
}

/** What one `score` call did. Never a throw: the shadow must not be able to hurt the champion's path. */
export type ShadowOutcome =
  | {
      readonly kind: 'scored';
      /** The shadow's P(churn) per row, for `churnflow.shadow.scores.<customer>`; never in score updates. */
      readonly scores: Float32Array;
      /** Rows of this batch on which champion and shadow agreed. */
      readonly agreed: number;
    }
  | { readonly kind: 'skipped'; readonly reason: 'busy' }
  | { readonly kind: 'failed'; readonly error: unknown };

/** The comparison over the sliding window (the last `windowRows` rows scored). */
export interface ShadowStats {
  readonly modelName: string;
  readonly modelVersion: string;
  /** Rows in the window now (≤ windowRows). */
  readonly rows: number;
  /** Rows scored since start (or the last reset). */
  readonly totalRows: number;
  /** Share of window rows on which both models fall on the same side of the threshold; NaN when empty. */
  readonly agreement: number;
  /** PSI of the shadow's bin shares against the champion's: Σ (s − c)·ln(s / c); 0 when identical. */
  readonly psi: number;
  /** Rows per bin in the window. */
  readonly championBins: readonly number[];
  readonly shadowBins: readonly number[];
}

/** Scores the champion's micro-batches with a challenger and compares; its scores never reach updates. */
export interface ShadowScorer {
  readonly model: ChurnModel;
  /**
   * Scores `rows` rows of `features` (rows × FEATURE_COUNT, FEATURES order: the matrix the champion scored)
   * and compares with `champion` (its probabilities). The inputs are copied before the call returns, so the
   * scorer's reused matrix may be overwritten at once. At most one batch runs at a time: while one runs,
   * further batches are skipped (counted), so a slow challenger never delays the champion's batches.
   */
  score(features: Float32Array, rows: number, champion: Float32Array): Promise<ShadowOutcome>;
  /** Replaces the challenger for the next batch; resolves to the old one once no batch uses it. Resets the stats. */
  swapModel(model: ChurnModel): Promise<ChurnModel>;
  stats(): ShadowStats;
  /** Empties the window and the totals. */
  reset(): void;
}

/** Creates a {@link ShadowScorer} with a sliding window of `windowRows` rows. */
export function createShadowScorer(opts: ShadowScorerOptions): ShadowScorer {
  return new WindowedShadow(opts);
}

const AGREE = 128;

class WindowedShadow implements ShadowScorer {
  private current: ChurnModel;
  private readonly threshold: number;
  private readonly eps: number;
  private readonly metrics: ModelMetrics | undefined;
  // The window is a ring of one byte per row: champion bin × 10 + shadow bin, +128 when they agreed. A row
  // leaving the window is subtracted from the counts, so every statistic is O(1) per row and allocation-free.
  private readonly ring: Uint8Array;
  private head = 0;
  private filled = 0;
  private totalRows = 0;
  private agreeCount = 0;
  private readonly cBins = new Float64Array(SHADOW_BINS);
  private readonly sBins = new Float64Array(SHADOW_BINS);
  // Copies of the caller's inputs, reused (grown by doubling): the caller's matrix is a view it will refill.
  private features = new Float32Array(0);
  private champion = new Float32Array(0);
  private inFlight: Promise<unknown> | undefined;

  constructor(opts: ShadowScorerOptions) {
    this.current = opts.model;
    this.threshold = opts.threshold ?? 0.5;
    this.eps = opts.psiEpsilon ?? 1e-4;
    this.metrics = opts.metrics;
    this.ring = new Uint8Array(Math.max(1, Math.floor(opts.windowRows ?? 10_000)));
    if (this.metrics) {
      // The shadow_* metrics exist only while a shadow does (absent, not 0, without one).
      showShadowMetrics(this.metrics);
      setModelInfo(this.metrics, 'shadow', this.current);
    }
  }

  get model(): ChurnModel {
    return this.current;
  }

  score(features: Float32Array, rows: number, champion: Float32Array): Promise<ShadowOutcome> {
    if (this.inFlight !== undefined) {
      this.metrics?.shadowSkipped.inc({ reason: 'busy' }, rows);
      return Promise.resolve({ kind: 'skipped', reason: 'busy' });
    }
    if (rows <= 0) return Promise.resolve({ kind: 'scored', scores: new Float32Array(0), agreed: 0 });
    const n = rows * FEATURE_COUNT;
    if (!Number.isInteger(rows) || features.length < n || champion.length < rows) {
      const error = new RangeError(`shadow: ${rows} rows do not fit the given matrix and scores`);
      return Promise.resolve({ kind: 'failed', error });
    }
    if (this.features.length < n) this.features = new Float32Array(Math.max(n, this.features.length * 2));
    if (this.champion.length < rows)
      this.champion = new Float32Array(Math.max(rows, this.champion.length * 2));
    this.features.set(features.subarray(0, n));
    this.champion.set(champion.subarray(0, rows));
    const run = this.run(this.current, rows);
    this.inFlight = run;
    return run.finally(() => (this.inFlight = undefined));
  }

  async swapModel(model: ChurnModel): Promise<ChurnModel> {
    const old = this.current;
    this.current = model;
    if (this.metrics) setModelInfo(this.metrics, 'shadow', model, old);
    // Stats compare a model pair; mixing two challengers in one window would describe neither. A batch of
    // the old model still running is not recorded (see run).
    this.reset();
    await this.inFlight;
    return old;
  }

  private async run(model: ChurnModel, rows: number): Promise<ShadowOutcome> {
    let scores: Float32Array;
    try {
      scores = await model.predict(this.features, rows);
    } catch (error) {
      this.metrics?.shadowSkipped.inc({ reason: 'failed' }, rows);
      return { kind: 'failed', error };
    }
    // A swap while this batch ran means its rows belong to the old pair: return them, do not count them.
    if (model !== this.current) return { kind: 'scored', scores, agreed: 0 };
    const agreed = this.record(this.champion, scores, rows);
    this.export(rows);
    return { kind: 'scored', scores, agreed };
  }

  private record(champion: Float32Array, shadow: Float32Array, rows: number): number {
    const { ring, threshold, cBins, sBins } = this;
    let agreed = 0;
    for (let i = 0; i < rows; i++) {
      const c = champion[i]!;
      const s = shadow[i]!;
      const cb = bin(c);
      const sb = bin(s);
      const agree = c >= threshold === s >= threshold;
      if (agree) agreed++;
      if (this.filled === ring.length) {
        const old = ring[this.head]!;
        const code = old & 127;
        cBins[(code / SHADOW_BINS) | 0]!--;
        sBins[code % SHADOW_BINS]!--;
        if (old & AGREE) this.agreeCount--;
      } else this.filled++;
      ring[this.head] = cb * SHADOW_BINS + sb + (agree ? AGREE : 0);
      this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
      cBins[cb]!++;
      sBins[sb]!++;
    }
    this.agreeCount += agreed;
    this.totalRows += rows;
    return agreed;
  }

  stats(): ShadowStats {
    const n = this.filled;
    return {
      modelName: this.current.name,
      modelVersion: this.current.version,
      rows: n,
      totalRows: this.totalRows,
      agreement: n === 0 ? NaN : this.agreeCount / n,
      psi: this.psi(),
      championBins: Array.from(this.cBins),
      shadowBins: Array.from(this.sBins),
    };
  }

  reset(): void {
    this.head = 0;
    this.filled = 0;
    this.totalRows = 0;
    this.agreeCount = 0;
    this.cBins.fill(0);
    this.sBins.fill(0);
  }

  private psi(): number {
    const n = this.filled;
    if (n === 0) return 0;
    let psi = 0;
    for (let b = 0; b < SHADOW_BINS; b++) {
      const c = this.cBins[b]! / n + this.eps;
      const s = this.sBins[b]! / n + this.eps;
      psi += (s - c) * Math.log(s / c);
    }
    return psi;
  }

  private export(rows: number): void {
    const m = this.metrics;
    if (m === undefined) return;
    const n = this.filled;
    m.shadowRows.inc(rows);
    m.shadowAgreement.set(this.agreeCount / n);
    m.shadowPsi.set(this.psi());
    for (let b = 0; b < SHADOW_BINS; b++) {
      const label = BIN_LABELS[b]!;
      m.shadowScoreShare.set({ role: 'champion', bin: label }, this.cBins[b]! / n);
      m.shadowScoreShare.set({ role: 'shadow', bin: label }, this.sBins[b]! / n);
    }
  }
}

const BIN_LABELS = Array.from({ length: SHADOW_BINS }, (_, b) => (b / SHADOW_BINS).toFixed(1));

/** Bin of a probability; 1.0 (and anything above) lands in the last bin, NaN in the first. */
function bin(p: number): number {
  const b = Math.floor(p * SHADOW_BINS);
  return b >= SHADOW_BINS ? SHADOW_BINS - 1 : b > 0 ? b : 0;
}
