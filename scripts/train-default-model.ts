/**
 * Trains the default churn model on the simulator's history and writes models/churn-default/1/.
 *
 *   npm run build && node dist/scripts/train-default-model.js [--customers 5000] [--days 180] [--seed 42]
 *     [--out models/churn-default/1] [--backend cpu|wasm] [--definition no_activity|no_purchase|cancel]
 *
 * Progress goes to stderr; the final report (metrics, rows, timings) is printed to stdout as JSON.
 */
import * as tf from '@tensorflow/tfjs';
import { Command, Option } from 'commander';
import { selectBackend } from '../src/score/backend.js';
import { trainChurnModel } from '../src/train/train-churn-model.js';
import type { ChurnDefinition } from '../src/train/training-set.js';

const program = new Command()
  .name('train-default-model')
  .description('Train the default churn model on simulated history, through the engine feature code.')
  .option('--customers <n>', 'simulated customers', (v) => Number.parseInt(v, 10), 5000)
  .option('--days <n>', 'simulated days of history', (v) => Number.parseInt(v, 10), 180)
  .option('--seed <n>', 'simulator, split and initialiser seed', (v) => Number.parseInt(v, 10), 42)
  .option('--out <dir>', 'model directory to write', 'models/churn-default/1')
  .option('--horizon <days>', 'look-ahead window of the churn label, days', (v) => Number.parseInt(v, 10), 30)
  .addOption(
    new Option('--definition <kind>', 'churn label')
      .choices(['no_activity', 'no_purchase', 'cancel'])
      .default('no_activity'),
  )
  .addOption(
    new Option('--backend <name>', 'TF.js backend for training').choices(['cpu', 'wasm']).default('wasm'),
  );

program.parse();
const o = program.opts<{
  customers: number;
  days: number;
  seed: number;
  out: string;
  horizon: number;
  definition: ChurnDefinition['kind'];
  backend: 'cpu' | 'wasm';
}>();

const err = (line: string): void => void process.stderr.write(line + '\n');
const started = performance.now();
if (o.backend === 'wasm') {
  await selectBackend({ info: (_obj, msg) => err(msg) });
} else {
  await tf.setBackend('cpu');
  await tf.ready();
}
err(`TF.js backend: ${tf.getBackend()}`);
let lastDay = -1;
const report = await trainChurnModel({
  outDir: o.out,
  customers: o.customers,
  days: o.days,
  seed: o.seed,
  definition: { kind: o.definition, days: o.horizon },
  log: err,
  onDay: (day, days, events) => {
    if (day % 30 === 0 && day !== lastDay) err(`replay: day ${day}/${days}, ${events} events`);
    lastDay = day;
  },
});
const seconds = Math.round((performance.now() - started) / 100) / 10;
err(`wrote ${report.dir} in ${seconds} s`);
const { manifest, ...rest } = report;
process.stdout.write(
  JSON.stringify(
    { ...rest, backend: tf.getBackend(), totalSeconds: seconds, metrics: manifest.metrics },
    null,
    2,
  ) + '\n',
);
