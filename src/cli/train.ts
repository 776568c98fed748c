import path from 'node:path';
import { access } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../log/index.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../nats/index.js';
import { exitCodeOf } from './exit-codes.js';
import { addNatsOptions, clientNats, type NatsFlags } from './nats-options.js';
import { oneLine, progressBars, refusals, summary } from './train-output.js';
import { selectBackend } from '../score/backend.js';
import { MANIFEST_JSON } from '../score/manifest.js';
import { createSimulator } from '../simulate/index.js';
import { DEFAULT_MAX_SORT_EVENTS } from '../train/ordered-source.js';
import {
  fileTrainingSource,
  natsTrainingSource,
  nextModelVersion,
  simulatorTrainingSource,
  trainChurnModel,
  type ChurnDefinition,
  type TrainingSource,
} from '../train/index.js';

/** Options of the `train` command (commander's camel-cased flags; the NATS flags apply to `--source nats`). */
export interface TrainCommandOptions extends NatsFlags {
  readonly source: 'simulator' | 'file' | 'nats';
  readonly customers: number;
  readonly days: number;
  readonly seed: number;
  readonly start: string;
  readonly file?: string;
  readonly stream: string;
  readonly from?: string;
  readonly to?: string;
  readonly definition: ChurnDefinition['kind'];
  readonly horizonDays: number;
  readonly cutoffEveryDays: number;
  readonly warmupDays: number;
  readonly out: string;
  readonly name: string;
  readonly version?: string;
  readonly force?: boolean;
  readonly epochs: number;
  readonly backend: 'cpu' | 'wasm';
  readonly maxSortEvents: number;
  readonly activeDays: number;
  readonly outOfTimeCutoffs: number;
  readonly bootstrap: number;
}

const wholeAtLeast =
  (min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
const positive = wholeAtLeast(1);

/** The `churnflow train` subcommand; its action sets `process.exitCode`. */
export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train a churn model and its BG/NBD baseline on event history, through the engine features')
    .addOption(
      new Option('--source <kind>', 'history to train on')
        .choices(['simulator', 'file', 'nats'])
        .default('simulator'),
    )
    .option('--customers <n>', 'simulator: customers', positive, 5000)
    .option('--days <n>', 'simulator: days of history', positive, 180)
    .option('--seed <n>', 'simulator, split and initialiser seed', positive, 42)
    .option(
      '--start <ISO>',
      'simulator: start of the history (fixed, so a run is reproducible)',
      '2025-01-01T00:00:00Z',
    )
    .option('--file <path>', 'file: event file (.jsonl or .msgpack)')
    .option(
      '-c, --config <file>',
      'nats: configuration file for the nats.* keys (default: $CHURNFLOW_CONFIG)',
    )
    .option('--stream <name>', 'nats: JetStream stream', 'EVENTS')
    .option('--from <seq|ISO>', 'nats: first message (stream sequence or stored time)')
    .option('--to <seq|ISO>', 'nats: last message (stream sequence or stored time)')
    .addOption(
      new Option('--definition <kind>', 'churn label')
        .choices(['no_activity', 'no_purchase', 'cancel'])
        .default('no_activity'),
    )
    .option('--horizon-days <n>', 'look-ahead window of the label, days', positive, 30)
    .option('--cutoff-every-days <n>', 'days between feature snapshots', positive, 15)
    .option('--warmup-days <n>', 'history before the first snapshot, days', positive, 60)
    .option('--out <dir>', 'models directory', 'models')
    .option('--name <name>', 'model name', 'churn-default')
    .option('--version <v>', 'model version (default: next whole number under <out>/<name>)')
    .option('--force', 'replace an existing version directory')
    .option('--epochs <n>', 'most training epochs (early stopping may end sooner)', positive, 80)
    .addOption(
      new Option('--backend <name>', 'TF.js backend for training').choices(['cpu', 'wasm']).default('wasm'),
    )
    .option(
      '--max-sort-events <n>',
      'file, nats: most valid events of an out-of-order history sorted in memory, ~160 bytes each (beyond: refused)',
      positive,
      DEFAULT_MAX_SORT_EVENTS,
    )
    .option(
      '--active-days <n>',
      'report: the active subset has own activity within n days of the cut-off',
      positive,
      7,
    )
    .option(
      '--out-of-time-cutoffs <n>',
      'report: also hold out the last n cut-offs (train on earlier ones, a second fit); 0 = no',
      wholeAtLeast(0),
      0,
    )
    .option('--bootstrap <n>', 'report: bootstrap resamples of customers for the intervals', positive, 1000)
    .action(async (opts: TrainCommandOptions) => {
      process.exitCode = await runTrain(opts);
    });
  return addNatsOptions(cmd, 'nats: server (default: $NATS_URL or nats://127.0.0.1:4222)');
}

/** Runs `churnflow train`: writes `<out>/<name>/<version>/`, prints the metrics table. Returns the exit code. */
export async function runTrain(
  opts: TrainCommandOptions,
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const err = (line: string): void => void process.stderr.write(line + '\n');
  const problem = checkOptions(opts);
  if (problem !== undefined) {
    err(`churnflow train: ${problem}`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  if (opts.backend === 'wasm') await selectBackend({ info: (_o, msg) => err(msg) });
  else await tf.setBackend('cpu');
  await tf.ready();
  const version = opts.version ?? (await nextModelVersion(path.join(opts.out, opts.name)));
  const outDir = path.join(opts.out, opts.name, version);
  if (opts.force !== true && (await exists(path.join(outDir, MANIFEST_JSON)))) {
    err(`churnflow train: ${outDir} already holds a model; pick another --version or pass --force`);
    return 2;
  }
  const log = createLogger(process.env['CHURNFLOW_LOG_LEVEL'] ?? 'warn');
  const bars = progressBars(tty, opts.epochs);
  // Written on lines of their own: a progress bar may own the current one.
  const note = tty ? (line: string): void => err('\n' + line) : err;
  let nc: NatsConnection | undefined;
  let source: TrainingSource | undefined;
  try {
    // A one-off job: an unreachable server fails it at once (exit 3) instead of waiting forever.
    if (opts.source === 'nats') {
      nc = await connectNats({ ...clientNats(opts), name: 'churnflow-train', log, waitForServer: false });
    }
    source = await openSource(opts, nc, note);
    bars.start(source.total);
    const report = await trainChurnModel({
      source,
      outDir,
      name: opts.name,
      version,
      seed: opts.seed,
      definition: { kind: opts.definition, days: opts.horizonDays },
      cutoffEveryDays: opts.cutoffEveryDays,
      warmupDays: opts.warmupDays,
      activeSubsetDays: opts.activeDays,
      outOfTimeCutoffs: opts.outOfTimeCutoffs,
      replicates: opts.bootstrap,
      command: commandLine(opts, version),
      mlp: { maxEpochs: opts.epochs, onEpoch: bars.epoch },
      onReplay: bars.replay,
      log: tty ? undefined : err,
    });
    bars.stop();
    stdout.write(summary(report) + '\n');
    return 0;
  } catch (e) {
    // A failure (a history out of order past the sort bound, too little history, an unreadable file, NATS
    // unreachable) is reported as one line with what was refused so far, not as a stack trace.
    bars.stop();
    err(`churnflow train: ${oneLine(e)}`);
    if (source !== undefined) err(`churnflow train: refused so far: ${refusals(source.stats.byReason, {})}`);
    if (process.env['CHURNFLOW_LOG_LEVEL'] === 'debug' && e instanceof Error) err(e.stack ?? '');
    return exitCodeOf(e); // 1 failed, 2 a bad credential or config file, 3 NATS unreachable, 4 refused
  } finally {
    await nc?.drain();
  }
}

async function openSource(
  opts: TrainCommandOptions,
  nc: NatsConnection | undefined,
  log: (line: string) => void,
): Promise<TrainingSource> {
  const { maxSortEvents } = opts;
  if (opts.source === 'file') return fileTrainingSource(opts.file!, { maxSortEvents, log });
  if (opts.source === 'nats') {
    const range = { stream: opts.stream, from: opts.from, to: opts.to };
    return natsTrainingSource({ nc: nc!, ...range, maxSortEvents, log });
  }
  const startMs = Date.parse(opts.start);
  return simulatorTrainingSource(
    createSimulator({ customers: opts.customers, seed: opts.seed, startMs }),
    opts.days,
  );
}

/** The first problem with option combinations commander cannot check, or undefined. */
function checkOptions(o: TrainCommandOptions): string | undefined {
  if (o.source === 'file' && o.file === undefined)
    return '--source file needs --file <events.jsonl|.msgpack>';
  if (o.source === 'simulator' && !Number.isFinite(Date.parse(o.start)))
    return `--start ${o.start}: not an ISO 8601 time`;
  if (o.source !== 'nats' && (o.from !== undefined || o.to !== undefined))
    return '--from and --to need --source nats';
  return undefined;
}

/** The options as one reproducible command line (every choice spelled out). */
function commandLine(o: TrainCommandOptions, version: string): string {
  const src =
    o.source === 'simulator'
      ? `--source simulator --customers ${o.customers} --days ${o.days} --start ${o.start}`
      : o.source === 'file'
        ? `--source file --file ${o.file ?? ''}`
        : `--source nats --stream ${o.stream}${o.from ? ` --from ${o.from}` : ''}${o.to ? ` --to ${o.to}` : ''}`;
  return (
    `churnflow train ${src} --seed ${o.seed} --definition ${o.definition} --horizon-days ${o.horizonDays}` +
    ` --cutoff-every-days ${o.cutoffEveryDays} --warmup-days ${o.warmupDays} --epochs ${o.epochs}` +
    ` --backend ${o.backend} --active-days ${o.activeDays} --out-of-time-cutoffs ${o.outOfTimeCutoffs}` +
    ` --bootstrap ${o.bootstrap} --out ${o.out} --name ${o.name} --version ${version}`
  );
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
