/**
 * One instance against two on the same partitioned stream: the time from starting the engine process(es) until
 * every partition's consumer has nothing pending, over a stream filled beforehand, through nats-server's partition
 * mapping (P = 4). Two instances share the partitions by leases (the second joins while the first already claimed
 * all four, so the handover is part of the measurement, as in production).
 *
 * Command:  npm run build && node dist/bench/instances.bench.js [events=400000] [customers=40000]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   events/s of one and of two instances, their ratio; also as JSON last. On a 2-core machine the
 *           server, the engines and the ack traffic share two cores: expect far less than 2x.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStream } from '../src/ingest/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { subjectMappingConfig } from '../src/partitions/index.js';
import { fillStream } from './bench-stream.js';

const EVENTS = Number(process.argv[2] ?? 400_000);
const CUSTOMERS = Number(process.argv[3] ?? 40_000);
const P = 4;
const STREAM = 'EVENTS';

function startInstance(
  url: string,
  consumer: string,
  id: string,
  port: number,
  leases: boolean,
): ChildProcess {
  return spawn(process.execPath, ['dist/src/cli/main.js', 'start'], {
    env: {
      ...process.env,
      CHURNFLOW_NATS_URL: url,
      CHURNFLOW_NATS_STREAM: STREAM,
      CHURNFLOW_NATS_CONSUMER: consumer,
      CHURNFLOW_PUBLISH_PREFIX: consumer.toLowerCase(),
      CHURNFLOW_PUBLISH_DEAD_LETTER_STREAM: `DLQ_${consumer}`,
      CHURNFLOW_PARTITIONS_COUNT: String(P),
      CHURNFLOW_PARTITIONS_INSTANCE_ID: id,
      ...(leases ? { CHURNFLOW_PARTITIONS_LEASE_BUCKET: `leases_${consumer}` } : {}),
      CHURNFLOW_HTTP_HOST: '127.0.0.1',
      CHURNFLOW_HTTP_PORT: String(port),
      CHURNFLOW_LOG_LEVEL: 'warn',
      CHURNFLOW_LOG_SUMMARY_EVERY_MS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** True when every partition's consumer exists and holds nothing pending or unacknowledged. */
async function drained(jsm: JetStreamManager, consumer: string): Promise<boolean> {
  for (let p = 0; p < P; p++) {
    const info = await jsm.consumers.info(STREAM, `${consumer}-p${p}`).catch(() => undefined);
    if (info === undefined || info.num_pending + info.num_ack_pending > 0 || info.delivered.stream_seq === 0)
      return false;
  }
  return true;
}

async function run(url: string, jsm: JetStreamManager, consumer: string, instances: number, total: number) {
  const t0 = performance.now();
  const children = Array.from({ length: instances }, (_, i) =>
    startInstance(url, consumer, `${consumer}-${i}`, 19_600 + 10 * instances + i, instances > 1),
  );
  try {
    while (!(await drained(jsm, consumer))) await new Promise((r) => setTimeout(r, 100));
    const seconds = (performance.now() - t0) / 1000;
    return { instances, seconds, eventsPerSec: Math.round(total / seconds) };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  }
}

async function main(): Promise<void> {
  const server = await startNatsServer({ config: `${subjectMappingConfig({ count: P })}\n` });
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, STREAM, ['pevents.>']);
    const total = await fillStream(nc, {
      stream: STREAM,
      prefix: 'events',
      customers: CUSTOMERS,
      max: EVENTS,
      seed: 7,
    });
    const one = await run(server.url, jsm, 'ONE', 1, total);
    const two = await run(server.url, jsm, 'TWO', 2, total);
    const ratio = Math.round((100 * two.eventsPerSec) / one.eventsPerSec) / 100;
    console.log(`stream: ${total} events, ${CUSTOMERS} customers, P = ${P}`);
    console.log('| instances | seconds (start to drained) | events/s |');
    console.log('|---|---|---|');
    for (const r of [one, two])
      console.log(`| ${r.instances} | ${r.seconds.toFixed(1)} | ${r.eventsPerSec} |`);
    console.log(`two / one: ${ratio}`);
    console.log(JSON.stringify({ bench: 'instances', events: total, customers: CUSTOMERS, one, two, ratio }));
  } finally {
    await nc.close();
    await server.stop();
  }
}

await main();
