import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ChurnflowError } from '../contract/codes.js';
import { FEATURE_COUNT, featureIndex } from '../state/feature-catalog.js';
import { loadLayersModelFromDir, MODEL_JSON } from './model-files.js';
import { readManifest, type ModelManifest } from './manifest.js';
import type { ChurnModel } from './types.js';

/** A churn model loaded from a model directory, with the manifest it was checked against. */
export interface LoadedChurnModel extends ChurnModel {
  /** The validated manifest. */
  readonly manifest: ModelManifest;
  /** The directory it was loaded from. */
  readonly dir: string;
}

/**
 * Loads a churn model directory: validates `manifest.json` against the feature catalog, loads the
 * LayersModel (`model.json` + weights) and checks it takes one [batch, features.length] input and gives
 * one probability per row. Call `selectBackend` first so the model's weights live on the chosen backend.
 * @throws ChurnflowError MODEL_INVALID naming the file when any check fails.
 */
export async function loadChurnModel(dir: string): Promise<LoadedChurnModel> {
  const manifest = await readManifest(dir);
  const model = await loadLayersModelFromDir(dir);
  try {
    checkShapes(model, manifest, path.join(dir, MODEL_JSON));
  } catch (err) {
    model.dispose();
    throw err;
  }
  return new TfChurnModel(model, manifest, dir);
}

function checkShapes(model: tf.LayersModel, m: ModelManifest, file: string): void {
  const n = m.features.length;
  const input = model.inputs.length === 1 ? model.inputs[0]?.shape : undefined;
  if (input?.length !== 2 || input[1] !== n) {
    const got = model.inputs.map((t) => JSON.stringify(t.shape)).join(', ');
    throw new ChurnflowError(
      'MODEL_INVALID',
      `${file}: model input ${got} does not take the ${n} manifest features`,
      {
        file,
      },
    );
  }
  const output = model.outputs.length === 1 ? model.outputs[0]?.shape : undefined;
  if (output?.length !== 2 || output[1] !== 1) {
    const got = model.outputs.map((t) => JSON.stringify(t.shape)).join(', ');
    throw new ChurnflowError('MODEL_INVALID', `${file}: model output ${got} is not one probability per row`, {
      file,
    });
  }
}

/** Column selection, normalisation and one batched predict over a TF.js LayersModel. */
class TfChurnModel implements LoadedChurnModel {
  readonly name: string;
  readonly version: string;
  readonly featureNames: readonly string[];
  // Gather plan, resolved once: engine column of each model input, and 1/std so the hot loop multiplies.
  private readonly columns: Int32Array;
  private readonly mean: Float32Array;
  private readonly invStd: Float32Array;
  // The model's input matrix, reused across calls and grown by doubling: no per-batch allocation once
  // warm. Safe to reuse even when calls overlap: tensor2d copies it into backend memory (wasm/native) or
  // the cpu kernels consume it synchronously, before predict() returns to its first await.
  private gather = new Float32Array(0);

  constructor(
    private readonly model: tf.LayersModel,
    readonly manifest: ModelManifest,
    readonly dir: string,
  ) {
    this.name = manifest.name;
    this.version = manifest.version;
    this.featureNames = manifest.features;
    const n = manifest.features.length;
    this.columns = Int32Array.from(manifest.features, (f) => featureIndex(f));
    this.mean = Float32Array.from(manifest.normalization.mean);
    this.invStd = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const s = manifest.normalization.std[j] ?? 1;
      // A constant column in training has std 0: divide by 1 rather than blow up to Infinity.
      this.invStd[j] = s > 0 ? 1 / s : 1;
    }
  }

  async predict(features: Float32Array, rows: number): Promise<Float32Array> {
    if (rows <= 0) return new Float32Array(0);
    if (!Number.isInteger(rows) || features.length < rows * FEATURE_COUNT) {
      throw new RangeError(`predict: ${features.length} values cannot hold ${rows} rows of ${FEATURE_COUNT}`);
    }
    const k = this.columns.length;
    const size = rows * k;
    if (this.gather.length < size) this.gather = new Float32Array(Math.max(size, this.gather.length * 2));
    const g = this.gather;
    const { columns, mean, invStd } = this;
    for (let r = 0; r < rows; r++) {
      const src = r * FEATURE_COUNT;
      const dst = r * k;
      for (let j = 0; j < k; j++) {
        g[dst + j] = ((features[src + columns[j]!] ?? 0) - mean[j]!) * invStd[j]!;
      }
    }
    // One tensor for the whole micro-batch; tidy frees the input and every intermediate, leaving only
    // the output, which is released once its values are read. predictOnBatch, not predict: predict
    // splits its input into batches of 32 and concatenates, which made 4096 rows ~18x slower (wasm).
    const out = tf.tidy(
      () => this.model.predictOnBatch(tf.tensor2d(g.subarray(0, size), [rows, k])) as tf.Tensor,
    );
    let p: Float32Array;
    try {
      p = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    for (let i = 0; i < rows; i++) {
      const v = p[i]!;
      if (Number.isNaN(v)) {
        const file = path.join(this.dir, MODEL_JSON);
        throw new ChurnflowError(
          'MODEL_INVALID',
          `${file}: model ${this.name}@${this.version} gave NaN for row ${i}`,
          {
            file,
          },
        );
      }
      p[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return p;
  }

  dispose(): void {
    this.model.dispose();
  }
}
