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
import { BGNBD_TIME_UNIT_DAYS } from './bgnbd-baseline.js';
import { round } from './evaluation.js';
import { fitRun, type FitRun } from './fit-run.js';
import type { HoldoutComparison } from './holdout-comparison.js';
import { compareRun, runEvaluation, type ComparisonOptions } from './holdout-evaluation.js';
import { logLoss } from './metrics.js';
import type { MlpOptions } from './mlp.js';
import { modelReport, type ModelReportFacts } from './model-report.js';
import { refusals } from './refusals.js';
import { replayTrainingSet, type ReplayProgress } from './replay-training-set.js';
import { customerSplitRows, outOfTimeSplitRows } from './row-splits.js';
import type { TrainingSet, TrainingSetOptions } from './training-set.js';
import type { TrainingSource } from './training-source.js';

/** Report file of a model directory, beside the manifest. */
export const REPORT_MD = 'report.md';

/** Options of {@link trainChurnModel}: the history, the training set's and the MLP's, and where the model goes. */
export interface TrainChurnModelOptions extends TrainingSetOptions, ComparisonOptions {
  /** Also evaluate out of time: hold out the last N cut-offs (0 = no). @default 0 */
  readonly outOfTimeCutoffs?: number;
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
  /** Events the store refused, by reason (e.g. too_old). */
  readonly refusedByReason: Readonly<Record<string, number>>;
  readonly events: number;
  /** Wall time of the replay and of the fit, seconds. */
  readonly seconds: { readonly replay: number; readonly fit: number };
}

/** Replays the source, trains, evaluates model and baselines on the held-out customers, writes the directory. */
export async function trainChurnModel(opts: TrainChurnModelOptions): Promise<TrainReport> {
  const log = opts.log ?? ((): void => undefined);
  const t0 = performance.now();
  const set = await replayTrainingSet(opts.source, opts, opts.onReplay);
  const t1 = performance.now();
  const { stats } = opts.source;
  log(
    `replayed ${set.events} events (${stats.invalid} invalid records skipped, ${set.refused} refused by the` +
      ` store) into ${set.rows} rows`,
  );
  const planned = customerSplitRows(set);
  const { train, validation, test } = planned.split;
  if (train.length === 0 || validation.length === 0 || test.length === 0) {
    throw new RangeError(
      `too little history: rows train ${train.length} / validation ${validation.length} / test ${test.length}` +
        ` from ${set.events} events of ${set.customerIds.length} customers${refusedNote(stats.byReason, set.refusedByReason)}` +
        ' (more customers or days, or earlier cut-offs)',
    );
  }
  log(`rows train ${train.length} / validation ${validation.length} / test ${test.length}`);
  const seed = opts.mlp?.seed ?? opts.seed ?? 42;
  const run = await fitRun(set, planned.split, planned.fitTable, planned.fitCustomers, { ...opts.mlp, seed });
  const t2 = performance.now();
  try {
    if (run.purchase) log(`BG/NBD (purchase days, weeks): ${JSON.stringify(run.purchase.params)}`);
    const outOfTime = await outOfTimeComparison(set, opts, seed);
    const evaluation = runEvaluation(set, run, test, { ...opts, ...(outOfTime ? { outOfTime } : {}) });
    const labels = Uint8Array.from(test, (r) => set.y[r]!);
    const iso = (ms: number): string => new Date(ms).toISOString();
    const manifest = checkManifest(
      {
        name: opts.name ?? 'churn-default',
        version: opts.version ?? '1',
        format: 'layers',
        features: run.inputs.features,
        normalization: { mean: run.inputs.mean, std: run.inputs.std },
        churnDefinition: set.definition,
        trainedAt: iso((opts.clock ?? Date.now)()),
        trainingWindow: {
          from: iso(set.window.fromMs),
          to: iso(set.window.toMs),
          cutoffs: set.window.cutoffsMs.map(iso),
        },
        ...valueModels(run),
        evaluation,
        metrics: {
          roc_auc: evaluation.model.rocAuc,
          log_loss: round(logLoss(run.testProbs, labels)),
          epochs: run.mlp.bestEpoch,
          positive_weight: round(run.mlp.positiveWeight),
          train_rows: train.length,
        },
        training: { command: opts.command ?? 'churnflow train', source: opts.source.description },
      },
      path.join(opts.outDir, MANIFEST_JSON),
    ) as TrainReport['manifest'];
    const rows = { train: train.length, validation: validation.length, test: test.length };
    await writeModelDir(opts.outDir, run.model, manifest, {
      command: opts.command ?? 'churnflow train',
      source: opts.source.description,
      ...stats,
      refusedByReason: set.refusedByReason,
      events: set.events,
      customers: set.customerIds.length,
      rows,
      bestEpoch: run.mlp.bestEpoch,
      epochs: run.mlp.epochs,
      backend: tf.getBackend(),
    });
    return {
      dir: opts.outDir,
      manifest,
      rows,
      records: stats.records,
      invalid: stats.invalid,
      byReason: stats.byReason,
      refusedByReason: set.refusedByReason,
      events: set.events,
      seconds: { replay: round((t1 - t0) / 1000), fit: round((t2 - t1) / 1000) },
    };
  } finally {
    run.model.dispose();
  }
}

/** The out-of-time comparison when asked for (a second fit on earlier cut-offs, disposed after). */
async function outOfTimeComparison(
  set: TrainingSet,
  opts: TrainChurnModelOptions,
  seed: number,
): Promise<{ comparison: HoldoutComparison; description: string } | undefined> {
  const n = opts.outOfTimeCutoffs ?? 0;
  if (n === 0) return undefined;
  const planned = outOfTimeSplitRows(set, n);
  if (planned === undefined) {
    throw new RangeError(
      `out-of-time: ${set.window.cutoffsMs.length} cut-offs cannot hold out the last ${n}`,
    );
  }
  const run = await fitRun(set, planned.split, planned.fitTable, planned.fitCustomers, { ...opts.mlp, seed });
  try {
    const from = new Date(planned.boundaryMs!).toISOString();
    return {
      comparison: compareRun(set, run, planned.split.test, opts).all,
      description:
        `test: held-out customers at the last ${n} cut-off(s), from ${from}; train: the other customers'` +
        ' rows whose label window ends by then; baselines fitted on summaries at that time',
    };
  } finally {
    run.model.dispose();
  }
}

/** The manifest's BG/NBD (purchase days) and Gamma-Gamma blocks, with standard errors. */
function valueModels(run: FitRun): Partial<Pick<ModelManifest, 'bgnbd' | 'gammaGamma'>> {
  const ses = (o: object): Record<string, number | null> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number.isFinite(v) ? (v as number) : null]));
  return {
    ...(run.purchase
      ? {
          bgnbd: {
            ...run.purchase.params,
            timeUnitDays: BGNBD_TIME_UNIT_DAYS,
            standardErrors: ses(run.purchase.standardErrors),
            customers: run.purchase.customers,
          },
        }
      : {}),
    ...(run.spend
      ? {
          gammaGamma: {
            ...run.spend.params,
            standardErrors: ses(run.spend.standardErrors),
            customers: run.spend.customers,
            ...(Number.isFinite(run.spend.frequencySpendCorrelation)
              ? { frequencySpendCorrelation: round(run.spend.frequencySpendCorrelation) }
              : {}),
          },
        }
      : {}),
  };
}

/** ` (records refused: store too_old 31703)`, or nothing when none was. */
function refusedNote(...counts: Parameters<typeof refusals>): string {
  const line = refusals(...counts);
  return line === 'none' ? '' : ` (records refused: ${line})`;
}

/**
 * Writes the directory under a dot name and renames it when complete: a running engine watching the models
 * directory never sees (and refuses) a half-written version.
 */
async function writeModelDir(
  outDir: string,
  model: tf.LayersModel,
  manifest: ModelManifest,
  facts: ModelReportFacts,
): Promise<void> {
  const staging = path.join(path.dirname(outDir), `.${path.basename(outDir)}.tmp`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await saveLayersModelToDir(model, staging);
  await writeFile(path.join(staging, MANIFEST_JSON), JSON.stringify(manifest, null, 2) + '\n');
  await writeFile(path.join(staging, REPORT_MD), modelReport(manifest, facts));
  await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);
}
