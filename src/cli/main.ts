#!/usr/bin/env node
import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { EXIT_CODES, failure } from './exit-codes.js';
import { runStart } from './start.js';
import { runSimulate } from './simulate.js';
import { trainCommand } from './train.js';
import { modelCommand } from './model-command.js';
import { watchFatal } from './fatal.js';
import { addNatsOptions } from './nats-options.js';
import { packageVersion } from './version.js';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};

/** Stack traces are for developers: shown at CHURNFLOW_LOG_LEVEL=debug (or trace), never by default. */
const showStacks = ['debug', 'trace'].includes(process.env['CHURNFLOW_LOG_LEVEL'] ?? '');

const program = new Command()
  .name('churnflow')
  .description('Real-time churn scoring and customer segmentation over NATS JetStream')
  .version(packageVersion(), '-V, --version', 'print the churnflow version')
  // A bad flag is a usage error (exit code 2, as a bad config key); help and --version still exit 0.
  .exitOverride(usageExit);

function usageExit(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : EXIT_CODES.usage);
}

let commandName = 'churnflow';
// `start` handles fatal events itself (orderly drain, then exit 1); every other command is a short client run with
// nothing to save, so an unhandled rejection or uncaught exception ends it at once, said on stderr, exit code 1.
program.hook('preAction', (_program, action) => {
  commandName = action.parent === program ? action.name() : `${action.parent?.name() ?? ''} ${action.name()}`;
  if (action.name() === 'start') return;
  const stderr = {
    fatal: (obj: { err?: unknown; origin?: string }) => {
      const { line } = failure(commandName, obj.err);
      process.stderr.write(`${line} (${obj.origin ?? 'fatal'})\n`);
      if (showStacks && obj.err instanceof Error) process.stderr.write(`${obj.err.stack ?? ''}\n`);
    },
  };
  void watchFatal(stderr).fatal.then(() => process.exit(EXIT_CODES.failed));
});

addNatsOptions(
  program
    .command('start')
    .description('run the engine (without NATS_URL: embedded nats-server + simulator)')
    .option('-c, --config <file>', 'configuration file (default: $CHURNFLOW_CONFIG or config/default.json)'),
  'NATS server (default: nats.url; empty: an embedded nats-server)',
).action(async (opts: Parameters<typeof runStart>[0]) => {
  process.exitCode = await runStart(opts);
});

const simulate = program
  .command('simulate')
  .description('publish simulated customer traffic into NATS JetStream, or write it to an event file')
  .option('--customers <n>', 'customers', int, 5000)
  .option('--rate <n>', 'live events per second after the history', int, 2000)
  .option('--history-days <n>', 'days of history sent first (as fast as possible)', int, 60)
  .option('--live-seconds <n>', 'seconds of live traffic; 0 = until stopped', int, 0)
  .option('--seed <n>', 'PRNG seed', int, 42)
  .option('--prefix <subject>', 'event subject prefix', 'events')
  .option('--stream <name>', 'JetStream stream to create when missing', 'EVENTS')
  .option('--out <file>', 'write an event file (.jsonl or .msgpack) instead of publishing')
  .option('--msg-ids', 'send event ids as Nats-Msg-Id for JetStream de-duplication')
  .option('-c, --config <file>', 'configuration file for the nats.* keys (default: $CHURNFLOW_CONFIG)');
addNatsOptions(simulate, 'NATS server (default: $NATS_URL or nats://127.0.0.1:4222)').action(
  async (opts: Parameters<typeof runSimulate>[0]) => {
    process.exitCode = await runSimulate(opts);
  },
);

program.addCommand(trainCommand());
program.addCommand(modelCommand());
// Commands added whole (not made by `.command()`) do not inherit the override: set it on every one.
const withSubcommands = (c: Command): Command[] => [c, ...c.commands.flatMap(withSubcommands)];
for (const c of withSubcommands(program)) c.exitOverride(usageExit);

try {
  await program.parseAsync();
} catch (err) {
  // Whatever a command did not handle ends here as one line and a documented exit code (README "Exit codes").
  const { line, code } = failure(commandName, err);
  process.stderr.write(`${line}\n`);
  if (showStacks && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
  process.exitCode = code;
}
