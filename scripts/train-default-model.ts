/**
 * Retrains the default churn model: a thin wrapper of `churnflow train` (the same code path and options), kept
 * so existing instructions still work. The shipped models/churn-default/2 was made with
 *
 *   npm run build && node dist/src/cli/main.js train --version 2
 *
 * which this script runs as `node dist/scripts/train-default-model.js --version 2` (any `train` option passes
 * through). Progress bars go to stderr (when it is a terminal); the metrics table to stdout.
 */
import { trainCommand } from '../src/cli/train.js';

await trainCommand().parseAsync(process.argv.slice(2), { from: 'user' });
