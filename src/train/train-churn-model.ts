/**
 * The training command's core: simulated history → engine features → MLP → holdout metrics → a model
 * directory (`model.json`, `weights.bin`, `manifest.json`) the engine loads as is.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MANIFEST_JSON, checkManifest, type ModelManifest } from '../score/manifest.js';
import { saveLayersModelToDir } from '../score/model-files.js';
import { featureIndex, FEATURE_COUNT } from '../state/feature-catalog.js';
import { brierScore, logLoss, prAuc, rocAuc } from './metrics.js';
import { trainChurnMlp, type MlpOptions } from './mlp.js';
import { fitModelInputs, modelMatrix } from './normalization.js';
import {
  NOT_CUSTOMER_ACTIVITY,
  SPLIT_TEST,
  SPLIT_TRAIN,
  SPLIT_VALIDATION,
  buildTrainingSet,
  type TrainingSetOptions,
} from './training-set.js';

/** Options of {@link trainChurnModel}: the training set's, the MLP's, and where the model goes. */
export interface TrainChurnModelOptions extends TrainingSetOptions {
  /** The model directory to write (created if missing; files replaced). */
  readonly outDir: string;
  /** Model name in the manifest. @default 'churn-default' */
  readonly name?: string;
  /** Model version in the manifest. @default '1' */
  readonly version?: string;
  /** MLP hyper-parameters. */
  readonly mlp?: MlpOptions;
  /** Clock for `trainedAt`, epoch ms. @default Date.now */
  readonly clock?: () => number;
  /** Progress lines (the script writes them to stderr). @default none */
  readonly log?: (line: string) => void;
}

/** What training produced. */
export interface TrainReport {
  readonly dir: string;
  readonly manifest: ModelManifest;
  /** Rows per split and events replayed. */
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly events: number;
  /** Wall time of the replay and of the fit, seconds. */
  readonly seconds: { readonly replay: number; readonly fit: number };
}

/** Builds the training set, trains, evaluates on the held-out customers and writes the model directory. */
export async function trainChurnModel(opts: TrainChurnModelOptions): Promise<TrainReport> {
  const log = opts.log ?? ((): void => undefined);
  const clock = opts.clock ?? Date.now;
  const t0 = performance.now();
  const set = buildTrainingSet(opts);
  const t1 = performance.now();
  log(`replayed ${set.events} events into ${set.rows} rows in ${((t1 - t0) / 1000).toFixed(1)} s`);

  const inSplit = (s: number) => (r: number) => set.split[r] === s;
  const inputs = fitModelInputs(set.x, set.rows, inSplit(SPLIT_TRAIN));
  const part = (s: number): { x: Float32Array; y: Uint8Array; rows: number; cols: number } => {
    const { matrix, rowIndex } = modelMatrix(inputs, set.x, set.rows, inSplit(s));
    return {
      x: matrix,
      y: Uint8Array.from(rowIndex, (r) => set.y[r]!),
      rows: rowIndex.length,
      cols: inputs.columns.length,
    };
  };
  const train = part(SPLIT_TRAIN);
  const val = part(SPLIT_VALIDATION);
  const test = part(SPLIT_TEST);
  log(
    `features ${inputs.features.length}; rows train ${train.rows} / validation ${val.rows} / test ${test.rows}`,
  );

  const fit = await trainChurnMlp(train, val, {
    ...opts.mlp,
    seed: opts.mlp?.seed ?? opts.seed ?? 42,
    onEpoch: (e, loss, valLoss) => {
      log(`epoch ${e}: train loss ${loss.toFixed(4)}, validation log loss ${valLoss.toFixed(4)}`);
      opts.mlp?.onEpoch?.(e, loss, valLoss);
    },
  });
  const t2 = performance.now();
  try {
    const probs = await predict(fit.model, test.x, test.rows, test.cols);
    const metrics = holdoutMetrics(probs, test.y, set, inSplit(SPLIT_TEST), train.y);
    metrics['epochs'] = fit.bestEpoch;
    metrics['positive_weight'] = round(fit.positiveWeight);
    metrics['train_rows'] = train.rows;
    log(`holdout: ${JSON.stringify(metrics)}`);
    const manifest = checkManifest(
      {
        name: opts.name ?? 'churn-default',
        version: opts.version ?? '1',
        format: 'layers',
        features: inputs.features,
        normalization: { mean: inputs.mean, std: inputs.std },
        churnDefinition: set.definition,
        trainedAt: new Date(clock()).toISOString(),
        metrics,
        // Extra keys (the schema allows them): how to reproduce the model and what its label counts.
        training: {
          command: 'npm run build && node dist/scripts/train-default-model.js',
          simulator: {
            customers: opts.simulator?.customers ?? opts.customers ?? 5000,
            seed: opts.seed ?? 42,
          },
          days: opts.days ?? 180,
          cutoffDays: opts.cutoffDays ?? [60, 75, 90, 105, 120, 135, 150],
          activeWithinDays: opts.activeWithinDays ?? 30,
          activityExcludes: NOT_CUSTOMER_ACTIVITY,
          hidden: opts.mlp?.hidden ?? [32, 16],
        },
      },
      path.join(opts.outDir, MANIFEST_JSON),
    );
    await mkdir(opts.outDir, { recursive: true });
    await saveLayersModelToDir(fit.model, opts.outDir);
    await writeFile(path.join(opts.outDir, MANIFEST_JSON), JSON.stringify(manifest, null, 2) + '\n');
    return {
      dir: opts.outDir,
      manifest,
      rows: { train: train.rows, validation: val.rows, test: test.rows },
      events: set.events,
      seconds: { replay: round((t1 - t0) / 1000), fit: round((t2 - t1) / 1000) },
    };
  } finally {
    fit.model.dispose();
  }
}

/** The model's metrics on the held-out rows, beside two baselines any model must beat. */
function holdoutMetrics(
  probs: Float32Array,
  y: Uint8Array,
  set: { x: Float32Array; rows: number },
  isTest: (r: number) => boolean,
  trainY: Uint8Array,
): Record<string, number> {
  // Baseline 1: rank by days since last activity alone. Baseline 2: everyone gets the training churn rate.
  const recency = featureIndex('days_since_last_activity');
  const recencyScores: number[] = [];
  for (let r = 0; r < set.rows; r++) if (isTest(r)) recencyScores.push(set.x[r * FEATURE_COUNT + recency]!);
  const baseRate = trainY.reduce((a, b) => a + b, 0) / trainY.length;
  const constant = new Float32Array(y.length).fill(baseRate);
  return {
    roc_auc: round(rocAuc(probs, y)),
    pr_auc: round(prAuc(probs, y)),
    brier: round(brierScore(probs, y)),
    log_loss: round(logLoss(probs, y)),
    positive_rate: round(y.reduce((a, b) => a + b, 0) / y.length),
    test_rows: y.length,
    baseline_recency_roc_auc: round(rocAuc(recencyScores, y)),
    baseline_recency_pr_auc: round(prAuc(recencyScores, y)),
    baseline_constant_brier: round(brierScore(constant, y)),
  };
}

async function predict(
  model: tf.LayersModel,
  x: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const out = tf.tidy(() => model.predict(tf.tensor2d(x, [rows, cols])) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
