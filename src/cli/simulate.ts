import { jetstreamManager } from '@nats-io/jetstream';
import { ensureStream } from '../ingest/index.js';
import { writeEventFile } from '../ingest/event-file.js';
import { createLogger } from '../log/index.js';
import { connectNats } from '../nats/index.js';
import { createSimulator, DAY_MS } from '../simulate/index.js';
import { clientNats, type NatsFlags } from './nats-options.js';
import { publishSimulation } from './simulator-publisher.js';

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
  const log = createLogger(process.env['CHURNFLOW_LOG_LEVEL'] ?? 'info');
  const now = Date.now();
  const simulator = createSimulator({
    customers: opts.customers,
    seed: opts.seed,
    startMs: now - opts.historyDays * DAY_MS,
  });
  if (opts.out !== undefined) {
    const written = await writeEventFile(opts.out, simulator.batchesBetween(simulator.startMs, now));
    log.info({ file: opts.out, ...written }, 'event file written');
    return 0;
  }
  const nc = await connectNats({ ...clientNats(opts), name: 'churnflow-simulator', log });
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
