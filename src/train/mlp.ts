/**
 * The churn model: a small multilayer perceptron (dense + relu, sigmoid output) trained with class weights for
 * the imbalance and early stopping on a validation split, then re-calibrated so its output is a probability.
 */
import * as tf from '@tensorflow/tfjs';
import { Prng } from '../simulate/prng.js';
import { logLoss } from './metrics.js';

/** A row-major matrix with its labels. */
export interface LabelledMatrix {
  /** rows × cols normalised inputs. */
  readonly x: Float32Array;
  /** 0/1 labels, one per row. */
  readonly y: Uint8Array;
  readonly rows: number;
  readonly cols: number;
}

/** Options of {@link trainChurnMlp}. */
export interface MlpOptions {
  /** Units of each hidden relu layer. @default [32, 16] */
  readonly hidden?: readonly number[];
  /** Most passes over the training rows. @default 80 */
  readonly maxEpochs?: number;
  /** Epochs without a better validation loss before stopping. @default 8 */
  readonly patience?: number;
  /** Rows per gradient step. @default 256 */
  readonly batchSize?: number;
  /** Adam's learning rate. @default 0.002 */
  readonly learningRate?: number;
  /** L2 penalty on the kernels. @default 1e-4 */
  readonly l2?: number;
  /** Seed of the weight initialisers and of the per-epoch shuffles. @default 42 */
  readonly seed?: number;
  /** Called after every epoch. */
  readonly onEpoch?: (epoch: number, trainLoss: number, valLoss: number) => void;
}

/** A trained model and how training went. */
export interface MlpResult {
  readonly model: tf.LayersModel;
  /** Epochs run (including those after the best). */
  readonly epochs: number;
  /** The epoch whose weights were kept (1-based). */
  readonly bestEpoch: number;
  /** Validation log loss of the kept weights, on calibrated probabilities. */
  readonly valLoss: number;
  /** Weight of a positive row in the loss (negatives weigh 1): negatives / positives of the training rows. */
  readonly positiveWeight: number;
}

/**
 * Trains the MLP. Positives weigh `negatives / positives` so the rare churners shape the boundary; that
 * inflates the predicted odds by the same factor, so the output bias is lowered by log(weight) afterwards
 * (a prior-shift correction) and the model's outputs are calibrated probabilities again. The weights of the
 * epoch with the lowest validation log loss are kept.
 */
export async function trainChurnMlp(
  train: LabelledMatrix,
  val: LabelledMatrix,
  opts: MlpOptions = {},
): Promise<MlpResult> {
  const seed = opts.seed ?? 42;
  const l2 = opts.l2 ?? 1e-4;
  const model = tf.sequential();
  (opts.hidden ?? [32, 16]).forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
        kernelRegularizer: tf.regularizers.l2({ l2 }),
        ...(i === 0 ? { inputShape: [train.cols] } : {}),
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(opts.learningRate ?? 0.002), loss: 'binaryCrossentropy' });

  let positives = 0;
  for (let i = 0; i < train.rows; i++) positives += train.y[i]!;
  const positiveWeight = positives > 0 ? (train.rows - positives) / positives : 1;
  const shift = Math.log(positiveWeight);
  const valX = tf.tensor2d(val.x, [val.rows, val.cols]);
  const rng = new Prng(seed);
  const maxEpochs = opts.maxEpochs ?? 80;
  const patience = opts.patience ?? 8;
  let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
  let epoch = 0;
  try {
    while (epoch < maxEpochs && epoch - best.epoch < patience) {
      epoch++;
      // Our own seeded shuffle (fit's uses Math.random) keeps training reproducible on a given backend.
      const { xs, ys } = shuffled(train, rng);
      const h = await model.fit(xs, ys, {
        epochs: 1,
        batchSize: opts.batchSize ?? 256,
        shuffle: false,
        classWeight: { 0: 1, 1: positiveWeight },
        verbose: 0,
      });
      xs.dispose();
      ys.dispose();
      const valLoss = logLoss(await calibratedPredict(model, valX, shift), val.y);
      opts.onEpoch?.(epoch, Number(h.history['loss']?.[0] ?? NaN), valLoss);
      if (valLoss < best.loss) {
        best.weights.forEach((w) => w.dispose());
        best = { loss: valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
      }
    }
    if (best.weights.length > 0) model.setWeights(best.weights);
  } finally {
    valX.dispose();
    best.weights.forEach((w) => w.dispose());
  }
  // Bake the prior-shift correction into the output bias, so the saved model predicts calibrated risk.
  const out = model.layers[model.layers.length - 1]!;
  const [kernel, bias] = out.getWeights();
  const corrected = tf.tidy(() => bias!.sub(shift));
  out.setWeights([kernel!, corrected]);
  corrected.dispose();
  return { model, epochs: epoch, bestEpoch: best.epoch, valLoss: best.loss, positiveWeight };
}

/** The model's probabilities on `x`, with the class-weight shift taken out of the logit. */
async function calibratedPredict(
  model: tf.LayersModel,
  x: tf.Tensor2D,
  shift: number,
): Promise<Float32Array> {
  const p = tf.tidy(() => {
    const raw = (model.predict(x) as tf.Tensor).clipByValue(1e-7, 1 - 1e-7);
    return tf.sigmoid(tf.log(raw.div(tf.sub(1, raw))).sub(shift));
  });
  try {
    return (await p.data()) as Float32Array;
  } finally {
    p.dispose();
  }
}

function shuffled(m: LabelledMatrix, rng: Prng): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const order = new Uint32Array(m.rows);
  for (let i = 0; i < m.rows; i++) order[i] = i;
  for (let i = m.rows - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const x = new Float32Array(m.rows * m.cols);
  const y = new Float32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const src = order[i]!;
    x.set(m.x.subarray(src * m.cols, (src + 1) * m.cols), i * m.cols);
    y[i] = m.y[src]!;
  }
  return { xs: tf.tensor2d(x, [m.rows, m.cols]), ys: tf.tensor2d(y, [m.rows, 1]) };
}
