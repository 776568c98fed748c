import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureStream } from '../ingest/index.js';
import { writeEventFile } from '../ingest/event-file.js';
import { createLogger } from '../log/index.js';
import { connectNats } from '../nats/index.js';
import { createSimulator, DAY_MS, type Simulator } from '../simulate/index.js';
import { failure } from './exit-codes.js';
import { clientNats, type NatsFlags } from './nats-options.js';
import { publishSimulation } from './simulator-publisher.js';
import { fileProgress } from './simulate-progress.js';
import { ttyDestination, useColor } from './tty-log.js';

/** Options of the `simulate` command (with the NATS connection flags). */
export interface SimulateOptions extends NatsFlags {
  readonly customers: number;
  readonly rate: number;
  readonly historyDays: number;
  readonly liveSeconds: number;
  readonly seed: number;
  readonly prefix: string;
  readonly stream: string;
  readonly out?: string;
  readonly msgIds?: boolean;
}

/**
 * Generates simulator traffic: with `--out`, the history as an event file; otherwise the history and then live
 * traffic published into NATS JetStream (the stream is created when missing). Returns the exit code.
 */
export async function runSimulate(opts: SimulateOptions): Promise<number> {
  const tty = process.stdout.isTTY === true;
  const log = createLogger(
    process.env['CHURNFLOW_LOG_LEVEL'] ?? 'info',
    tty ? ttyDestination(process.stdout, useColor(process.stdout)) : undefined,
  );
  const now = Date.now();
  const simulator = createSimulator({
    customers: opts.customers,
    seed: opts.seed,
    startMs: now - opts.historyDays * DAY_MS,
  });
  if (opts.out !== undefined) return writeOut(opts.out, simulator, now, log);
  const { servers, access } = clientNats(opts);
  let nc: NatsConnection;
  try {
    // Fails at once when the server is not there (a typo in the URL should not look like a hang), but once
    // connected rides out server restarts like the engine does.
    nc = await connectNats({
      servers,
      access,
      name: 'churnflow-simulator',
      log,
      persistent: true,
      waitForServer: false,
    });
  } catch (err) {
    const { line, code } = failure('simulate', err, servers);
    process.stderr.write(`${line}\n`);
    return code;
  }
  await ensureStream(await jetstreamManager(nc), opts.stream, [`${opts.prefix}.>`]);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const timer = opts.liveSeconds > 0 ? setTimeout(() => abort.abort(), opts.liveSeconds * 1000) : undefined;
  log.info({ customers: opts.customers, historyDays: opts.historyDays, ratePerSec: opts.rate }, 'simulating');
  const result = await publishSimulation({
    nc,
    msgIds: opts.msgIds,
    log,
    simulator,
    subjectPrefix: opts.prefix,
    ratePerSec: opts.rate,
    liveFromMs: now,
    signal: abort.signal,
  });
  clearTimeout(timer);
  await nc.drain();
  return result.published > 0 ? 0 : 1;
}

/** Writes the history as an event file, with a progress bar (simulated days) on a terminal. */
async function writeOut(
  file: string,
  simulator: Simulator,
  nowMs: number,
  log: ReturnType<typeof createLogger>,
): Promise<number> {
  const progress = fileProgress(process.stderr, simulator.startMs, nowMs);
  try {
    const written = await writeEventFile(
      file,
      progress.track(simulator.batchesBetween(simulator.startMs, nowMs)),
    );
    progress.stop();
    log.info({ file, ...written }, 'event file written');
    return 0;
  } finally {
    progress.stop();
  }
}
