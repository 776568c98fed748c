import * as tf from '@tensorflow/tfjs';
import { ChurnflowError } from '../contract/codes.js';
import { FEATURE_COUNT, featureIndex } from '../state/feature-catalog.js';
import { readManifest, type ModelManifest } from './manifest.js';
import { buildGraphModel, buildLayersModel, readModelDir, type ModelDirArtifacts } from './model-files.js';
import {
  graphRunner,
  layersRunner,
  type GraphNode,
  type GraphSignature,
  type ModelRunner,
} from './model-runner.js';
import { contributions, topReasons, type ExplainMethod } from './reasons.js';
import type { ChurnModel, Reason } from './types.js';

/** A churn model loaded from a model directory, with the manifest it was checked against. */
export interface LoadedChurnModel extends ChurnModel {
  /** The validated manifest. */
  readonly manifest: ModelManifest;
  /** The directory it was loaded from. */
  readonly dir: string;
  /** How {@link ChurnModel.explain} computes reasons for this model (see docs/scoring.md "Reason codes"). */
  readonly explainMethod: ExplainMethod;
  /** The Keras 3 rewrites applied to model.json on load (empty when none were needed). */
  readonly rewrites: readonly string[];
  explain(features: Float32Array, rows: number, k: number): Promise<Reason[][]>;
}

/** Float noise tolerated around [0, 1] before an output counts as "not a probability". */
const PROBABILITY_SLACK = 1e-5;

/**
 * Loads a churn model directory: validates `manifest.json` against the feature catalog, then loads the model
 * files by `manifest.format` ('layers': a LayersModel as TF.js or the Keras converter writes it, Keras 2 or 3;
 * 'graph': a GraphModel), and refuses it unless it takes one [batch, features.length] input, gives one finite
 * probability per row on a smoke row (the reference customer), and holds no NaN or infinite weight. Decides
 * how `explain` works: one gradient pass when TF.js can differentiate the network, occlusion otherwise.
 * Call `selectBackend` first so the weights live on the chosen backend.
 * @throws ChurnflowError MODEL_INVALID naming the file (and the feature or weight) when any check fails.
 */
export async function loadChurnModel(dir: string): Promise<LoadedChurnModel> {
  const manifest = await readManifest(dir);
  const read = await readModelDir(dir);
  const file = read.jsonFile;
  const wrongFormat = (read.format === 'graph-model') !== (manifest.format === 'graph');
  if (wrongFormat && read.format !== undefined) {
    throw refuse(file, `is a ${read.format} but the manifest says format "${manifest.format}"`, 'format');
  }
  // A scoring engine never trains: a training config (a loss TF.js may not know) must not fail the load.
  delete (read.artifacts as { trainingConfig?: unknown }).trainingConfig;
  const runner = await buildRunner(read, manifest.format);
  try {
    checkRunner(runner, manifest, read);
    const explainMethod = smokeTest(runner, manifest, file);
    return new TfChurnModel(runner, manifest, dir, file, explainMethod, read.rewrites);
  } catch (err) {
    runner.dispose();
    throw err;
  }
}

async function buildRunner(read: ModelDirArtifacts, format: ModelManifest['format']): Promise<ModelRunner> {
  if (format === 'layers') return layersRunner(await buildLayersModel(read));
  const topology = read.artifacts.modelTopology as { node?: GraphNode[] } | undefined;
  const signature: GraphSignature | undefined = read.artifacts.signature;
  return graphRunner(await buildGraphModel(read), topology?.node ?? [], signature);
}

function checkRunner(runner: ModelRunner, m: ModelManifest, read: ModelDirArtifacts): void {
  const n = m.features.length;
  if (runner.inputCount !== 1 || (runner.inputWidth !== undefined && runner.inputWidth !== n)) {
    const got =
      runner.inputCount !== 1 ? `${runner.inputCount} inputs` : `${runner.inputWidth} input columns`;
    throw refuse(read.jsonFile, `model takes ${got}, not the ${n} manifest features`, 'features');
  }
  const bad = runner.nonFiniteWeights();
  if (bad.length > 0) {
    const where = read.weightFiles.get(bad[0]!) ?? read.jsonFile;
    throw refuse(where, `weight "${bad.join('", "')}" holds NaN or infinite values`, bad[0]!, where);
  }
}

/**
 * Runs the reference customer (normalised zeros) through the model: the output must be [1, 1] and finite.
 * Also tries one backward pass, which decides the explain method.
 */
function smokeTest(runner: ModelRunner, m: ModelManifest, file: string): ExplainMethod {
  const n = m.features.length;
  let out: Float32Array;
  let shape: number[];
  try {
    [out, shape] = tf.tidy(() => {
      const y = runner.probability(tf.zeros([1, n]));
      return [y.dataSync() as Float32Array, y.shape];
    });
  } catch (err) {
    throw refuse(
      file,
      `model does not run on one row of the ${n} manifest features: ${String(err)}`,
      'features',
    );
  }
  if (shape.length !== 2 || shape[0] !== 1 || shape[1] !== 1) {
    throw refuse(file, `model output ${JSON.stringify(shape)} is not one probability per row`, 'output');
  }
  if (!Number.isFinite(out[0])) {
    throw refuse(file, `model gives ${out[0]} for the reference customer (normalised zeros)`, 'output');
  }
  try {
    tf.tidy(() =>
      tf
        .grad((t: tf.Tensor) => (runner.logit ?? runner.probability)(t as tf.Tensor2D).sum())(tf.ones([1, n]))
        .dataSync(),
    );
    return 'gradient';
  } catch {
    // E.g. a graph op TF.js has no gradient for (Cumprod): forward passes still work, so occlusion does.
    return 'occlusion';
  }
}

function refuse(where: string, why: string, key: string, file = where): ChurnflowError {
  return new ChurnflowError('MODEL_INVALID', `${where}: ${why}`, { file, key });
}

/** Column selection, normalisation and one batched call per micro-batch over a {@link ModelRunner}. */
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
  // the cpu kernels consume it synchronously, before a call returns to its first await.
  private gather = new Float32Array(0);

  constructor(
    private readonly runner: ModelRunner,
    readonly manifest: ModelManifest,
    readonly dir: string,
    private readonly file: string,
    readonly explainMethod: ExplainMethod,
    readonly rewrites: readonly string[],
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
    const x = this.input(features, rows, 'predict');
    // tidy frees the input and every intermediate, leaving only the output, released once read.
    const out = tf.tidy(() => this.runner.probability(x));
    x.dispose();
    let p: Float32Array;
    try {
      p = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    for (let i = 0; i < rows; i++) {
      const v = p[i]!;
      // Not a probability (NaN, or clearly outside [0, 1]: a model without its final sigmoid) is refused, not
      // clamped into one; float noise at the bounds is clamped.
      if (!(v >= -PROBABILITY_SLACK && v <= 1 + PROBABILITY_SLACK)) {
        const why = `model ${this.name}@${this.version} gave ${v} for row ${i}, not a probability in [0, 1]`;
        throw new ChurnflowError('MODEL_INVALID', `${this.file}: ${why}`, { file: this.file, key: 'output' });
      }
      p[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return p;
  }

  async explain(features: Float32Array, rows: number, k: number): Promise<Reason[][]> {
    if (rows <= 0) return [];
    const x = this.input(features, rows, 'explain');
    try {
      const c = await contributions(this.runner, x, this.explainMethod);
      return topReasons(c, rows, this.featureNames, k);
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    this.runner.dispose();
  }

  /** Gathers and normalises the model's columns of the first `rows` rows into one [rows, k] tensor. */
  private input(features: Float32Array, rows: number, what: string): tf.Tensor2D {
    if (!Number.isInteger(rows) || features.length < rows * FEATURE_COUNT) {
      throw new RangeError(`${what}: ${features.length} values cannot hold ${rows} rows of ${FEATURE_COUNT}`);
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
    return tf.tensor2d(g.subarray(0, size), [rows, k]);
  }
}
