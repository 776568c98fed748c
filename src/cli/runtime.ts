import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { Config } from '../config/index.js';
import { ChurnflowError } from '../contract/codes.js';
import {
  ensureEventStream,
  ensureStream,
  jetStreamSource,
  simulatorSource,
  watchConsumerProgress,
  type InboundBatch,
} from '../ingest/index.js';
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
import { clockTickSubject } from '../contract/subjects.js';
import { createFlowGate, type FlowGate } from '../rx/index.js';
import {
  chooseStartPoint,
  openSnapshotStore,
  type SnapshotContent,
  type SnapshotMetrics,
  type SnapshotStore,
} from '../snapshot/index.js';

/** The engine's two ends and what keeps them alive. */
export interface Runtime {
  /** How the engine runs, for the log: 'nats', 'embedded-nats', 'in-process', 'file'. */
  readonly mode: string;
  readonly source: Observable<InboundBatch>;
  readonly sink: OutputSink;
  /** Reasons the runtime is not ready (empty: ready). */
  notReady(): NotReady[];
  /** Closes connections, stops the embedded server and simulator. */
  close(): Promise<void>;
  /** The NATS connection, when the runtime has one (operator commands are served on it). */
  readonly nc?: NatsConnection;
  /** Back-pressure from the engine to the source, when the source can pause. */
  readonly flow?: FlowGate;
  /** Writes a clock tick into the event stream (see EngineDeps.publishTick), when the source is a stream. */
  readonly publishTick?: (atMs: number) => Promise<boolean>;
  /** The snapshot the state starts from (the consumer resumes right after it). */
  readonly restored?: { readonly content: SnapshotContent; readonly name: string };
  /** Where snapshots go, when they are on. */
  readonly snapshots?: SnapshotStore;
}

/** The snapshot store and the start point chosen from it (restore metrics on the runtime's registry). */
async function openSnapshots(ctx: Ctx, nc: NatsConnection, jsm: JetStreamManager) {
  const { config, log, snapshotMetrics } = ctx;
  const store = await openSnapshotStore({
    nc,
    bucket: config.snapshot.bucket,
    series: config.nats.consumer,
    partition: 0,
    keep: config.snapshot.keep,
    log,
  });
  const start = await chooseStartPoint({
    store,
    jsm,
    stream: config.nats.stream,
    onGap: config.snapshot.onGap,
    coverMs: config.snapshot.keep * config.snapshot.intervalMs,
    log,
    metrics: snapshotMetrics,
  });
  return { store, start };
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
  const prefix = config.ingest.subjectPrefix;
  const base = {
    stream: config.nats.stream,
    subjects: [`${prefix}.>`],
    consumer: config.nats.consumer,
    filterSubject: `${prefix}.>`,
    maxAckPending: config.nats.maxAckPending,
    ackWaitMs: config.nats.ackWaitMs,
  };
  await ensureStream(jsm, base.stream, base.subjects);
  const snapshots = config.snapshot.enabled ? await openSnapshots(ctx, nc, jsm) : undefined;
  const start = snapshots?.start ?? { kind: 'replay' as const, why: 'snapshots off' };
  // From a snapshot the consumer resumes right after it; otherwise state is rebuilt from the first message.
  const spec =
    start.kind === 'snapshot' ? { ...base, startSeq: start.startSeq } : { ...base, replayFromStart: true };
  await ensureEventStream(jsm, spec);
  log.info(
    start.kind === 'snapshot'
      ? { stream: spec.stream, snapshot: start.name, resumeAt: start.startSeq }
      : { stream: spec.stream, consumer: spec.consumer, why: start.why },
    start.kind === 'snapshot'
      ? 'restoring customer state from a snapshot, then replaying the tail'
      : 'rebuilding customer state: replaying the stream from its start',
  );
  const dlqSubject = `${config.publish.prefix}.dlq`;
  if (config.sink === 'nats') await ensureDeadLetterStream(jsm, config.publish.deadLetterStream, dlqSubject);
  const deadLetters = deadLetterHealth({ holdMs: config.health.deadLetterFailureHoldMs });
  const sink = outputSink(ctx, nc, { jsm, health: deadLetters });
  // The server's view of the consumer: pending count (replay lag) and ack floor (stalls), for /readyz.
  const progress = watchConsumerProgress({
    jsm,
    stream: spec.stream,
    consumer: spec.consumer,
    ...config.health,
    metrics,
    log,
  });
  let consuming = { ok: false, why: 'not started' };
  // Rows waiting for the model: a few micro-batches' worth keeps the model busy without holding a backlog.
  const flow = createFlowGate({ highWater: 4 * config.score.maxBatch, lowWater: config.score.maxBatch });
  const js = jetstream(nc);
  const source = jetStreamSource({
    js,
    jsm,
    spec,
    pullBatch: config.nats.pullBatch,
    log,
    metrics,
    flow,
    onHealth: (ok, why) => (consuming = { ok, why }),
  });
  const tickSubject = clockTickSubject(prefix);
  const publishTick = async (atMs: number): Promise<boolean> => {
    // Idle means drained: while messages still wait for this consumer (a restart's tail not yet received), a tick
    // at the wall clock would jump the clock over them and fire every timer in between at once.
    const info = await jsm.consumers.info(spec.stream, spec.consumer);
    if (info.num_pending + info.num_ack_pending > 0) return false;
    await js.publish(tickSubject, JSON.stringify({ ts: atMs }), {
      headers: jsonHeaders(),
      msgID: `clock:${atMs}`,
    });
    return true;
  };
  return {
    mode,
    nc,
    source,
    sink,
    flow,
    publishTick,
    ...(start.kind === 'snapshot' ? { restored: { content: start.content, name: start.name } } : {}),
    ...(snapshots === undefined ? {} : { snapshots: snapshots.store }),
    notReady: () => [
      ...(connected ? [] : [{ reason: 'nats_disconnected' as const, detail: 'disconnected, reconnecting' }]),
      ...(consuming.ok ? [] : [{ reason: 'not_consuming' as const, detail: consuming.why }]),
      ...progress.notReady(),
      ...deadLetters.notReady(),
    ],
    close: async () => {
      progress.stop();
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
    ...(dlq === undefined
      ? {}
      : {
          deadLetterStream: { jsm: dlq.jsm, name: config.publish.deadLetterStream },
          log: ctx.log,
          metrics: ctx.metrics,
          onDeadLetterHealth: (stored: boolean, detail: string) => dlq.health.report(stored, detail),
        }),
  });
}

function jsonHeaders() {
  const h = natsHeaders();
  h.set('Content-Type', 'application/json');
  return h;
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
  return { mode: 'in-process', source, sink, flow, notReady: () => [], close: () => sink.close() };
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
