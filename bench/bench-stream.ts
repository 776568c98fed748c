/**
 * What the end-to-end benchmarks share: filling a stream from the simulator with core publishes, waiting until the
 * stream stored them, and the engine's JetStream source and NATS sink over it.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../src/config/index.js';
import type { CustomerEvent } from '../src/contract/event.js';
import { encodeEvents, ensureEventStream, jetStreamSource } from '../src/ingest/index.js';
import type { EngineMetrics } from '../src/metrics/index.js';
import { natsSink } from '../src/publish/index.js';
import { createSimulator, DAY_MS } from '../src/simulate/index.js';

/**
 * Publishes `events` and then the simulator's history of `customers` over the 120 days before now, `max` events in
 * all, flushing every 10k; returns what the stream really stored (core publishes are not acknowledged).
 */
export async function fillStream(
  nc: NatsConnection,
  opts: {
    stream: string;
    prefix: string;
    customers: number;
    max: number;
    seed: number;
    first?: CustomerEvent[];
  },
): Promise<number> {
  const now = Date.now();
  const sim = createSimulator({ customers: opts.customers, seed: opts.seed, startMs: now - 120 * DAY_MS });
  let sent = 0;
  const send = async (events: readonly CustomerEvent[]): Promise<void> => {
    for (const m of encodeEvents(events, opts.prefix)) {
      if (sent >= opts.max) return;
      nc.publish(m.subject, m.data);
      if (++sent % 10_000 === 0) await nc.flush();
    }
  };
  await send(opts.first ?? []);
  for (const batch of sim.batchesBetween(sim.startMs, now)) {
    if (sent >= opts.max) break;
    await send(batch);
  }
  await nc.flush();
  const jsm = await jetstreamManager(nc);
  for (let i = 0; i < 100 && (await jsm.streams.info(opts.stream)).state.messages < sent; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return (await jsm.streams.info(opts.stream)).state.messages;
}

/** The engine's configuration over a bench stream (defaults otherwise, silent logs), with `overrides` on top. */
export function benchEngineConfig(
  url: string,
  stream: string,
  prefix: string,
  overrides: Record<string, unknown> = {},
): Readonly<Config> {
  return loadConfig({
    env: {},
    overrides: {
      'nats.url': url,
      'nats.stream': stream,
      'ingest.subjectPrefix': prefix,
      'log.level': 'silent',
      ...overrides,
    },
  });
}

/** A durable consumer named `consumer` over the stream, as the engine's source, and a NATS sink under `outPrefix`. */
export async function engineEnds(
  nc: NatsConnection,
  opts: {
    stream: string;
    prefix: string;
    consumer: string;
    outPrefix: string;
    config: Readonly<Config>;
    log: Logger;
    metrics: EngineMetrics;
  },
) {
  const jsm = await jetstreamManager(nc);
  const spec = {
    stream: opts.stream,
    subjects: [`${opts.prefix}.>`],
    consumer: opts.consumer,
    filterSubject: `${opts.prefix}.>`,
    maxAckPending: opts.config.nats.maxAckPending,
    ackWaitMs: opts.config.nats.ackWaitMs,
  };
  await ensureEventStream(jsm, spec);
  const js = jetstream(nc);
  const { config, log, metrics } = opts;
  const source = jetStreamSource({ js, jsm, spec, pullBatch: config.nats.pullBatch, log, metrics });
  const sink = natsSink({ nc, js, prefix: opts.outPrefix, encoding: 'msgpack' });
  return { source, sink };
}
