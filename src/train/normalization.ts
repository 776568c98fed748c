/**
 * The model's inputs: which engine features it reads, and their z-score normalisation, exactly as a model
 * manifest states them (the engine applies `(x - mean) / std` per column before predicting).
 */
import { FEATURE_COUNT, FEATURE_NAMES } from '../state/feature-catalog.js';

/** Features no model should read: categorical codes whose numeric distance means nothing. */
export const NON_NUMERIC_FEATURES: readonly string[] = ['preferred_channel'];

/** The model's columns: engine features in input order, with the normalisation fitted on training rows. */
export interface ModelInputs {
  /** Feature names, the manifest's `features`. */
  readonly features: readonly string[];
  /** Position of each input column in the engine's FEATURES vector. */
  readonly columns: Int32Array;
  readonly mean: number[];
  /** Standard deviation per column; 1 where the column is constant. */
  readonly std: number[];
}

/**
 * Fits the inputs on the rows where `use(row)` holds: every engine feature except {@link NON_NUMERIC_FEATURES}
 * and those constant on those rows (they carry no information and would divide by zero).
 * `x` holds rows × FEATURE_COUNT values in FEATURES order.
 */
export function fitModelInputs(x: Float32Array, rows: number, use: (row: number) => boolean): ModelInputs {
  const sum = new Float64Array(FEATURE_COUNT);
  const sumSq = new Float64Array(FEATURE_COUNT);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (!use(r)) continue;
    count++;
    const base = r * FEATURE_COUNT;
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const v = x[base + f]!;
      sum[f] = sum[f]! + v;
      sumSq[f] = sumSq[f]! + v * v;
    }
  }
  const features: string[] = [];
  const columns: number[] = [];
  const mean: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const name = FEATURE_NAMES[f]!;
    if (NON_NUMERIC_FEATURES.includes(name) || count === 0) continue;
    const m = sum[f]! / count;
    const variance = Math.max(0, sumSq[f]! / count - m * m);
    if (variance < 1e-12) continue;
    features.push(name);
    columns.push(f);
    mean.push(m);
    std.push(Math.sqrt(variance));
  }
  return { features, columns: Int32Array.from(columns), mean, std };
}

/**
 * The normalised model matrix of the rows where `use(row)` holds, row-major (count × features.length), and
 * the indices of the rows taken. Mirrors what the engine does at scoring time.
 */
export function modelMatrix(
  inputs: ModelInputs,
  x: Float32Array,
  rows: number,
  use: (row: number) => boolean,
): { matrix: Float32Array; rowIndex: Int32Array } {
  const taken: number[] = [];
  for (let r = 0; r < rows; r++) if (use(r)) taken.push(r);
  const width = inputs.columns.length;
  const matrix = new Float32Array(taken.length * width);
  for (let t = 0; t < taken.length; t++) {
    const base = taken[t]! * FEATURE_COUNT;
    for (let c = 0; c < width; c++) {
      matrix[t * width + c] = (x[base + inputs.columns[c]!]! - inputs.mean[c]!) / inputs.std[c]!;
    }
  }
  return { matrix, rowIndex: Int32Array.from(taken) };
}
