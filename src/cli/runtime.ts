import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { Config } from '../config/index.js';
import { ChurnflowError } from '../contract/codes.js';
import { ensureStreamCaptures, simulatorSource, type InboundBatch } from '../ingest/index.js';
import type { EngineMetrics, NotReady } from '../metrics/index.js';
import { connectNats, startNatsServer, type EmbeddedNatsServer, type NatsAccess } from '../nats/index.js';
import {
  consoleSink,
  deadLetterHealth,
  ensureDeadLetterStream,
  fileSink,
  natsSink,
  type DeadLetterHealth,
  type OutputSink,
} from '../publish/index.js';
import { createSimulator, DAY_MS } from '../simulate/index.js';
import { publishSimulation } from './simulator-publisher.js';
import { createFlowGate, type FlowGate } from '../rx/index.js';
import type { SnapshotMetrics } from '../snapshot/index.js';
import type { PartitionInput, PartitionMetrics } from '../host/index.js';
import { openNatsPartition } from './partition-input.js';

/** The engine's two ends and what keeps them alive. */
export interface Runtime {
  /** How the engine runs, for the log: 'nats', 'embedded-nats', 'in-process', 'file'. */
  readonly mode: string;
  readonly sink: OutputSink;
  /** Partitions P of the input (1 unless the stream is partitioned: see src/partitions). */
  readonly partitionCount: number;
  /** Opens the input of one partition: its source, snapshots and clock ticks, with its view of the metrics. */
  openPartition(partition: number, views: PartitionMetrics, owned: () => boolean): Promise<PartitionInput>;
  /** Reasons the runtime is not ready, beside its partitions' (empty: ready). */
  notReady(): NotReady[];
  /** Closes connections, stops the embedded server and simulator. */
  close(): Promise<void>;
  /** The NATS connection, when the runtime has one (operator commands are served on it). */
  readonly nc?: NatsConnection;
}

interface Ctx {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly metrics: EngineMetrics;
  readonly snapshotMetrics: SnapshotMetrics;
}

/**
 * Opens the runtime the configuration asks for. `source: nats` with `nats.url` consumes that server; without a
 * URL it starts a private nats-server and the simulator publishing into it (the embedded default), and when no
 * nats-server binary exists it says so and runs the same pipeline on the simulator's stream in process.
 */
export async function openRuntime(ctx: Ctx): Promise<Runtime> {
  const { config, log } = ctx;
  if (config.source === 'simulator') return inProcess(ctx);
  if (config.source === 'file') {
    const { openFileRuntime } = await import('./file-runtime.js');
    return openFileRuntime(ctx, (nc) => outputSink(ctx, nc));
  }
  if (config.nats.url !== '') return natsRuntime(ctx, config.nats.url, 'nats', config.nats);
  let server: EmbeddedNatsServer;
  try {
    server = await startNatsServer();
  } catch (err) {
    if (!(err instanceof ChurnflowError) || err.code !== 'NATS_SERVER_UNAVAILABLE') throw err;
    log.warn(
      { reason: err.message },
      'no nats-server available: running the same pipeline on the simulator in process',
    );
    return inProcess(ctx);
  }
  log.info(
    { url: server.url, store: server.storeDir },
    'embedded nats-server started (set NATS_URL to use yours)',
  );
  const runtime = await natsRuntime(ctx, server.url, 'embedded-nats');
  const stopSimulator = startSimulatorPublisher(ctx, runtime.nc as NatsConnection);
  return {
    ...runtime,
    async close() {
      await stopSimulator();
      await runtime.close();
      await server.stop();
    },
  };
}

/** `access`: the credentials and TLS of `nats.auth` / `nats.tls`; the embedded server (private, loopback) needs none. */
async function natsRuntime(ctx: Ctx, url: string, mode: string, access?: NatsAccess): Promise<Runtime> {
  const { config, log, metrics } = ctx;
  let connected = true;
  const nc = await connectNats({
    servers: url,
    name: `churnflow-${config.nats.consumer}`,
    log,
    metrics,
    ...(access === undefined ? {} : { access }),
    onConnection: (up) => (connected = up),
  });
  const jsm = await jetstreamManager(nc);
  // Partitioned, the stream stores what the server's mapping wrote (docs/partitions.md); else what was published.
  const captured =
    config.partitions.count > 1 ? config.partitions.subjectPrefix : config.ingest.subjectPrefix;
  await ensureStreamCaptures(jsm, config.nats.stream, [`${captured}.>`]);
  const dlqSubject = `${config.publish.prefix}.dlq`;
  if (config.sink === 'nats') await ensureDeadLetterStream(jsm, config.publish.deadLetterStream, dlqSubject);
  const deadLetters = deadLetterHealth({ holdMs: config.health.deadLetterFailureHoldMs });
  const sink = outputSink(ctx, nc, { jsm, health: deadLetters });
  return {
    mode,
    nc,
    sink,
    partitionCount: config.partitions.count,
    openPartition: (partition, views, owned) =>
      openNatsPartition({ ...ctx, ...views, nc, jsm }, partition, owned),
    notReady: () => [
      ...(connected ? [] : [{ reason: 'nats_disconnected' as const, detail: 'disconnected, reconnecting' }]),
      ...deadLetters.notReady(),
    ],
    close: async () => {
      await sink.close();
      await nc.drain();
    },
  };
}

/** `dlq`: what the NATS sink needs to recreate the dead-letter stream and report whether dead letters are stored. */
function outputSink(
  ctx: Ctx,
  nc: NatsConnection | undefined,
  dlq?: { jsm: JetStreamManager; health: DeadLetterHealth },
): OutputSink {
  const { config } = ctx;
  if (config.sink === 'file') return fileSink(config.publish.file);
  if (config.sink === 'console' || nc === undefined) return consoleSink();
  return natsSink({
    nc,
    js: jetstream(nc),
    prefix: config.publish.prefix,
    encoding: config.publish.encoding,
    // Publish failures are counted whatever the source (a file runtime publishing to NATS too).
    metrics: ctx.metrics,
    ...(dlq === undefined
      ? {}
      : {
          deadLetterStream: { jsm: dlq.jsm, name: config.publish.deadLetterStream },
          log: ctx.log,
          onDeadLetterHealth: (stored: boolean, detail: string) => dlq.health.report(stored, detail),
        }),
  });
}

function simulatorFor(config: Readonly<Config>, nowMs: number) {
  const startMs = nowMs - config.simulator.historyDays * DAY_MS;
  return createSimulator({ customers: config.simulator.customers, seed: config.simulator.seed, startMs });
}

function inProcess(ctx: Ctx): Runtime {
  const { config } = ctx;
  const now = Date.now();
  const flow = createFlowGate({ highWater: 4 * config.score.maxBatch, lowWater: config.score.maxBatch });
  const source = simulatorSource({
    simulator: simulatorFor(config, now),
    subjectPrefix: config.ingest.subjectPrefix,
    ratePerSec: config.simulator.ratePerSec,
    liveFromMs: now,
    flow,
  });
  const sink = outputSink(ctx, undefined);
  return {
    mode: 'in-process',
    sink,
    partitionCount: 1,
    openPartition: onePartition({ source, flow }, config.ingest.subjectPrefix),
    notReady: () => [],
    close: () => sink.close(),
  };
}

function startSimulatorPublisher(ctx: Ctx, nc: NatsConnection): () => Promise<void> {
  const { config, log } = ctx;
  const abort = new AbortController();
  const now = Date.now();
  const run = publishSimulation({
    nc,
    log,
    simulator: simulatorFor(config, now),
    subjectPrefix: config.ingest.subjectPrefix,
    ratePerSec: config.simulator.ratePerSec,
    liveFromMs: now,
    signal: abort.signal,
  }).catch((err: unknown) => log.error({ err }, 'simulator stopped with an error'));
  log.info(
    {
      customers: config.simulator.customers,
      historyDays: config.simulator.historyDays,
      ratePerSec: config.simulator.ratePerSec,
    },
    'simulator publishing into the embedded server',
  );
  return async () => {
    abort.abort();
    await run;
  };
}

/** The input of a runtime with one partition and no stream (in process, a file): opened once. */
export function onePartition(
  input: { readonly source: Observable<InboundBatch>; readonly flow?: FlowGate },
  eventPrefix: string,
): (partition: number) => Promise<PartitionInput> {
  let opened = false;
  return (partition) => {
    if (partition !== 0 || opened)
      throw new Error(`this runtime has one partition, opened once (asked ${partition})`);
    opened = true;
    return Promise.resolve({ partition, eventPrefix, ...input, notReady: () => [], close: () => undefined });
  };
}
