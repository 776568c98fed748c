/**
 * Restart to ready: an engine that stopped (writing its snapshot) starts again, restores the snapshot and replays
 * the tail published while it was down, until it has applied the stream's last message; beside it, in the same
 * run, an engine without snapshots that rebuilds the same state by replaying the whole stream (the baseline).
 *
 * Command:  npm run build && node dist/bench/restart.bench.js [events=400000] [customers=40000] [tail=10000]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   seconds to ready for both, their ratio, the snapshot's size; also as JSON last.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { startChurnflow, type Churnflow } from '../src/cli/start.js';
import { loadConfig } from '../src/config/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { encodeEvents } from '../src/ingest/index.js';
import { fillStream } from './bench-stream.js';

const EVENTS = Number(process.argv[2] ?? 400_000);
const CUSTOMERS = Number(process.argv[3] ?? 40_000);
const TAIL = Number(process.argv[4] ?? 10_000);
const STREAM = 'RESTART';
const PREFIX = 'rs';
const log = pino({ level: 'silent' });

function config(url: string, consumer: string, snapshots: boolean) {
  return loadConfig({
    env: {},
    overrides: {
      'nats.url': url,
      'nats.stream': STREAM,
      'nats.consumer': consumer,
      'ingest.subjectPrefix': PREFIX,
      'publish.prefix': `out_${consumer}`,
      'snapshot.enabled': snapshots,
      'http.host': '127.0.0.1',
      'http.port': 0,
      'log.level': 'silent',
      'log.summaryEveryMs': 0,
    },
  });
}

/** Starts an engine and waits until it applied the stream's last message; returns it and the seconds it took. */
async function untilCaughtUp(url: string, nc: NatsConnection, consumer: string, snapshots: boolean) {
  const last = (await (await jetstreamManager(nc)).streams.info(STREAM)).state.last_seq;
  const t0 = performance.now();
  const app: Churnflow = await startChurnflow(config(url, consumer, snapshots), log);
  const startedSeconds = (performance.now() - t0) / 1000;
  let lastLog = 0;
  while (app.engine.totals.lastStreamSeq < last) {
    await new Promise((r) => setTimeout(r, 20));
    if (process.env['DEBUG_RESTART'] && performance.now() - lastLog > 500) {
      lastLog = performance.now();
      const t = app.engine.totals;
      process.stderr.write(
        `${consumer} ${((lastLog - t0) / 1000).toFixed(1)}s seq=${t.lastStreamSeq}/${last} events=${t.events} dups=${t.duplicates} updates=${t.scoreUpdates} backlog=${app.engine.backlog} clock=${new Date(app.engine.clockMs).toISOString()}\n`,
      );
    }
  }
  return {
    app,
    seconds: (performance.now() - t0) / 1000,
    startedSeconds,
    restored: app.runtime.restored?.content.streamSeq ?? 0,
  };
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: [`${PREFIX}.>`] });
    const stored = await fillStream(nc, {
      stream: STREAM,
      prefix: PREFIX,
      customers: CUSTOMERS,
      max: EVENTS,
      seed: 5,
    });
    // The engine that will restart: it catches up once, then stops (its last snapshot written on the way out).
    const first = await untilCaughtUp(server.url, nc, 'engine', true);
    await first.app.stop();
    // What came while it was down: the next minutes of the same history (its clock goes on where it stopped, so
    // the restart measures restoring and the tail, not a clock jumping over a gap in the history).
    const from = first.app.engine.clockMs;
    const tail = Array.from({ length: TAIL }, (_, i) => ({
      customerId: `c-${String(i % CUSTOMERS).padStart(6, '0')}`,
      type: 'page_view',
      ts: from + i * 10,
    }));
    for (const m of encodeEvents(tail, PREFIX)) nc.publish(m.subject, m.data);
    await nc.flush();
    const restarted = await untilCaughtUp(server.url, nc, 'engine', true);
    const customers = restarted.app.engine.store.size;
    await restarted.app.stop();
    const replayed = await untilCaughtUp(server.url, nc, 'baseline', false);
    await replayed.app.stop();
    console.log(
      `stream: ${stored.toLocaleString('en')} events of ${CUSTOMERS.toLocaleString('en')} customers, then a tail of ${TAIL.toLocaleString('en')}`,
    );
    console.log(
      `restart with snapshot (restore + tail): ${restarted.seconds.toFixed(1)} s to ready (started in ${restarted.startedSeconds.toFixed(1)} s, from stream sequence ${restarted.restored}), ${customers} customers`,
    );
    console.log(`baseline: full replay of the stream:    ${replayed.seconds.toFixed(1)} s to ready`);
    console.log(
      `ratio restore / replay:                 ${(restarted.seconds / replayed.seconds).toFixed(2)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'restart',
        events: stored + TAIL,
        customers: CUSTOMERS,
        tail: TAIL,
        restoreSeconds: Number(restarted.seconds.toFixed(2)),
        replaySeconds: Number(replayed.seconds.toFixed(2)),
        ratio: Number((restarted.seconds / replayed.seconds).toFixed(3)),
      }),
    );
  } finally {
    await nc.close();
    await server.stop();
  }
}

await main();
