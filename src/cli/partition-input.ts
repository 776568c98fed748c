import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { clockTickSubject } from '../contract/subjects.js';
import { ensureEventStream, jetStreamSource, watchConsumerProgress } from '../ingest/index.js';
import type { EngineMetrics } from '../metrics/index.js';
import { partitionEventPrefix } from '../partitions/index.js';
import { createFlowGate } from '../rx/index.js';
import type { PartitionInput } from '../host/index.js';
import { chooseStartPoint, openSnapshotStore, type SnapshotMetrics } from '../snapshot/index.js';

/** What {@link openNatsPartition} shares with every partition of the process. */
export interface NatsPartitionContext {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly metrics: EngineMetrics;
  readonly snapshotMetrics: SnapshotMetrics;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
}

/** `events` and the configured consumer with P = 1 (as before partitions); `pevents.<p>` and `<consumer>-p<p>` else. */
export function partitionNames(config: Readonly<Config>, partition: number) {
  const partitioned = config.partitions.count > 1;
  return {
    eventPrefix: partitioned
      ? partitionEventPrefix(config.partitions.subjectPrefix, partition)
      : config.ingest.subjectPrefix,
    consumer: partitioned ? `${config.nats.consumer}-p${partition}` : config.nats.consumer,
  };
}

/**
 * Opens partition `partition` of the event stream: its newest usable snapshot (when snapshots are on), its durable
 * consumer resumed right after that snapshot (or from the stream's start), and its clock ticks.
 */
export async function openNatsPartition(
  ctx: NatsPartitionContext,
  partition: number,
  owned: () => boolean = () => true,
): Promise<PartitionInput> {
  const { config, log, metrics, jsm, nc } = ctx;
  const { eventPrefix, consumer } = partitionNames(config, partition);
  const plog = log.child({ partition });
  const snapshots = config.snapshot.enabled ? await openSnapshots(ctx, partition, plog) : undefined;
  const start = snapshots?.start ?? { kind: 'replay' as const, why: 'snapshots off' };
  const base = {
    stream: config.nats.stream,
    subjects: [`${eventPrefix}.>`],
    consumer,
    filterSubject: `${eventPrefix}.>`,
    maxAckPending: config.nats.maxAckPending,
    ackWaitMs: config.nats.ackWaitMs,
  };
  // From a snapshot the consumer resumes right after it; otherwise state is rebuilt from the first message.
  const spec =
    start.kind === 'snapshot' ? { ...base, startSeq: start.startSeq } : { ...base, replayFromStart: true };
  // Resetting the consumer of a partition someone else took over meanwhile would make it read its tail again.
  if (!owned()) throw new Error(`partition ${partition} lost while it was being opened`);
  await ensureEventStream(jsm, spec);
  plog.info(
    start.kind === 'snapshot'
      ? { stream: spec.stream, snapshot: start.name, resumeAt: start.startSeq }
      : { stream: spec.stream, consumer, why: start.why },
    start.kind === 'snapshot'
      ? 'restoring customer state from a snapshot, then replaying the tail'
      : 'rebuilding customer state: replaying the stream from its start',
  );
  // The server's view of the consumer: pending count (replay lag) and ack floor (stalls), for /readyz.
  const progress = watchConsumerProgress({
    jsm,
    stream: spec.stream,
    consumer,
    ...config.health,
    metrics,
    log: plog,
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
    log: plog,
    metrics,
    flow,
    onHealth: (ok, why) => (consuming = { ok, why }),
  });
  const tickSubject = clockTickSubject(eventPrefix);
  const publishTick = async (atMs: number): Promise<boolean> => {
    // Idle means drained: while messages still wait for this consumer (a restart's tail not yet received), a tick
    // at the wall clock would jump the clock over them and fire every timer in between at once.
    const info = await jsm.consumers.info(spec.stream, consumer);
    if (info.num_pending + info.num_ack_pending > 0) return false;
    await js.publish(tickSubject, JSON.stringify({ ts: atMs }), {
      headers: jsonHeaders(),
      msgID: `clock:${partition}:${atMs}`,
    });
    return true;
  };
  return {
    partition,
    eventPrefix,
    source,
    flow,
    publishTick,
    ...(start.kind === 'snapshot' ? { restored: { content: start.content, name: start.name } } : {}),
    ...(snapshots === undefined ? {} : { snapshots: snapshots.store }),
    notReady: () => [
      ...(consuming.ok
        ? []
        : [{ reason: 'not_consuming' as const, detail: `partition ${partition}: ${consuming.why}` }]),
      ...progress.notReady(),
    ],
    close: () => progress.stop(),
  };
}

/** The partition's snapshot series and the start point chosen from it (restore metrics on the shared registry). */
async function openSnapshots(ctx: NatsPartitionContext, partition: number, log: Logger) {
  const { config, snapshotMetrics, nc, jsm } = ctx;
  const store = await openSnapshotStore({
    nc,
    bucket: config.snapshot.bucket,
    // P in the name when partitioned: partition 0 of another P (or of the unpartitioned stream) holds other
    // customers, and must never be restored as this one.
    series:
      config.partitions.count > 1
        ? `${config.nats.consumer}/P${config.partitions.count}`
        : config.nats.consumer,
    partition,
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

function jsonHeaders() {
  const h = natsHeaders();
  h.set('Content-Type', 'application/json');
  return h;
}
