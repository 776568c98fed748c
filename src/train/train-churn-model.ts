/**
 * The training command's core: history (simulator, event file or stream range) → engine features → MLP and
 * BG/NBD on the same training customers → holdout evaluation of both → a model directory (`model.json`,
 * `weights.bin`, `manifest.json`, `report.md`) the engine loads as is.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MANIFEST_JSON, checkManifest, type ModelManifest } from '../score/manifest.js';
import { saveLayersModelToDir } from '../score/model-files.js';
import { FEATURE_COUNT, featureIndex } from '../state/feature-catalog.js';
import { BGNBD_TIME_UNIT_DAYS, bgnbdChurnScores, fitBgNbdBaseline } from './bgnbd-baseline.js';
import { evaluateHoldout, round } from './evaluation.js';
import { logLoss, rocAuc } from './metrics.js';
import { trainChurnMlp, type MlpOptions } from './mlp.js';
import { modelReport } from './model-report.js';
import { fitModelInputs, modelMatrix } from './normalization.js';
import { replayTrainingSet, type ReplayProgress } from './replay-training-set.js';
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VALIDATION } from './customer-split.js';
import type { TrainingSetOptions } from './training-set.js';
import type { TrainingSource } from './training-source.js';

/** Report file of a model directory, beside the manifest. */
export const REPORT_MD = 'report.md';

/** Options of {@link trainChurnModel}: the history, the training set's and the MLP's, and where the model goes. */
export interface TrainChurnModelOptions extends TrainingSetOptions {
  /** The history to train on. */
  readonly source: TrainingSource;
  /** The model directory to write (created if missing; files replaced). */
  readonly outDir: string;
  /** Model name in the manifest. @default 'churn-default' */
  readonly name?: string;
  /** Model version in the manifest. @default '1' */
  readonly version?: string;
  /** MLP hyper-parameters (its seed defaults to `seed`). */
  readonly mlp?: MlpOptions;
  /** Clock for `trainedAt`, epoch ms. @default Date.now */
  readonly clock?: () => number;
  /** The command line recorded in the manifest and report. @default 'churnflow train' */
  readonly command?: string;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
  /** Replay progress, after each batch. */
  readonly onReplay?: ReplayProgress;
}

/** What training produced. */
export interface TrainReport {
  readonly dir: string;
  readonly manifest: ModelManifest & { readonly evaluation: NonNullable<ModelManifest['evaluation']> };
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  /** Records read, invalid records skipped (by reason), events replayed. */
  readonly records: number;
  readonly invalid: number;
  readonly byReason: Readonly<Record<string, number>>;
  readonly events: number;
  /** Wall time of the replay and of the fit, seconds. */
  readonly seconds: { readonly replay: number; readonly fit: number };
}

/** Replays the source, trains, evaluates model and baseline on the held-out customers, writes the directory. */
export async function trainChurnModel(opts: TrainChurnModelOptions): Promise<TrainReport> {
  const log = opts.log ?? ((): void => undefined);
  const t0 = performance.now();
  const set = await replayTrainingSet(opts.source, opts, opts.onReplay);
  const t1 = performance.now();
  const { stats } = opts.source;
  log(`replayed ${set.events} events (${stats.invalid} invalid records skipped) into ${set.rows} rows`);

  const rowsOf = (s: number): Int32Array =>
    Int32Array.from(set.split.keys()).filter((r) => set.split[r] === s);
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
  if (train.rows === 0 || val.rows === 0 || test.rows === 0) {
    throw new RangeError(
      `too little history: rows train ${train.rows} / validation ${val.rows} / test ${test.rows}` +
        ' (more customers or days, or earlier cut-offs)',
    );
  }
  log(
    `features ${inputs.features.length}; rows train ${train.rows} / validation ${val.rows} / test ${test.rows}`,
  );

  const bgnbd = fitBgNbdBaseline(set.x, rowsOf(SPLIT_TRAIN));
  log(`BG/NBD: ${JSON.stringify(bgnbd.params)} (log-likelihood ${bgnbd.logLikelihood.toFixed(1)})`);
  const fit = await trainChurnMlp(train, val, { ...opts.mlp, seed: opts.mlp?.seed ?? opts.seed ?? 42 });
  const t2 = performance.now();
  try {
    const testRows = rowsOf(SPLIT_TEST);
    const probs = await predict(fit.model, test.x, test.rows, test.cols);
    // A history without repeat buyers leaves BG/NBD unfitted (NaN): the model is then reported alone.
    const fitted = Object.values(bgnbd.params).every((v) => Number.isFinite(v) && v > 0);
    const baseline = fitted ? bgnbdChurnScores(bgnbd.params, set.x, testRows) : undefined;
    const evaluation = evaluateHoldout(probs, baseline, test.y);
    const recency = Float32Array.from(
      testRows,
      (r) => set.x[r * FEATURE_COUNT + featureIndex('days_since_last_activity')]!,
    );
    const iso = (ms: number): string => new Date(ms).toISOString();
    const manifest = checkManifest(
      {
        name: opts.name ?? 'churn-default',
        version: opts.version ?? '1',
        format: 'layers',
        features: inputs.features,
        normalization: { mean: inputs.mean, std: inputs.std },
        churnDefinition: set.definition,
        trainedAt: iso((opts.clock ?? Date.now)()),
        trainingWindow: {
          from: iso(set.window.fromMs),
          to: iso(set.window.toMs),
          cutoffs: set.window.cutoffsMs.map(iso),
        },
        ...(fitted ? { bgnbd: { ...bgnbd.params, timeUnitDays: BGNBD_TIME_UNIT_DAYS } } : {}),
        evaluation,
        // Further figures: log loss, the recency-only ranking, and how training went.
        metrics: {
          roc_auc: evaluation.model.rocAuc,
          log_loss: round(logLoss(probs, test.y)),
          baseline_recency_roc_auc: round(rocAuc(recency, test.y)),
          epochs: fit.bestEpoch,
          positive_weight: round(fit.positiveWeight),
          train_rows: train.rows,
          ...(fitted ? { bgnbd_log_likelihood: round(bgnbd.logLikelihood) } : {}),
        },
        training: { command: opts.command ?? 'churnflow train', source: opts.source.description },
      },
      path.join(opts.outDir, MANIFEST_JSON),
    ) as TrainReport['manifest'];
    const rows = { train: train.rows, validation: val.rows, test: test.rows };
    // Written under a dot name and renamed when complete: a running engine watching the models directory never
    // sees (and refuses) a half-written version.
    const staging = path.join(path.dirname(opts.outDir), `.${path.basename(opts.outDir)}.tmp`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await saveLayersModelToDir(fit.model, staging);
    await writeFile(path.join(staging, MANIFEST_JSON), JSON.stringify(manifest, null, 2) + '\n');
    const facts = {
      command: opts.command ?? 'churnflow train',
      source: opts.source.description,
      ...stats,
      events: set.events,
      customers: set.customerIds.length,
      rows,
      bestEpoch: fit.bestEpoch,
      epochs: fit.epochs,
      backend: tf.getBackend(),
    };
    await writeFile(path.join(staging, REPORT_MD), modelReport(manifest, facts));
    await rm(opts.outDir, { recursive: true, force: true });
    await rename(staging, opts.outDir);
    return {
      dir: opts.outDir,
      manifest,
      rows,
      records: stats.records,
      invalid: stats.invalid,
      byReason: stats.byReason,
      events: set.events,
      seconds: { replay: round((t1 - t0) / 1000), fit: round((t2 - t1) / 1000) },
    };
  } finally {
    fit.model.dispose();
  }
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
