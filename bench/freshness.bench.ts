/**
 * Freshness: time from an event's publish to its score update reaching a subscriber, at steady live rates, beside
 * the transport floors measured in the same run. The design's budget: p99 <= 50 ms at 20,000 events/s.
 *
 * Nothing measured shares an event loop with what loads it: the publisher is its own process
 * (bench/publisher-process.ts: core publishes paced every 2 ms, each event's `ts` its publish time), so is the
 * engine (`churnflow start`, snapshots off), and this process only receives. Per rate, one after the other:
 *   core:   publisher -> a plain subscription here (no stream): the transport without JetStream.
 *   floor:  publisher -> JetStream stream -> a durable pull consumer here, made and read as the engine's own
 *           (ensureConsumer, `consume` iterator, pulls of 2000, one ack per socket read); latency = receipt - ts.
 *   engine: publisher -> stream -> engine -> `<prefix>.scores.*` -> a subscriber here; latency = receipt - the
 *           update's `eventTime`, the `ts` of the customer's latest event it reflects. Exact, per update.
 * A warm-up second through the floor and the engine (model loaded, JIT and buffers warm) is not counted. While
 * each publisher runs, /proc tells how many of the machine's cores were busy, and with nats-server and the engine.
 *
 * Command:  npm run build && node dist/bench/freshness.bench.js [rates=5000,20000,50000] [seconds=10] [customers=50000]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   per rate and path: achieved rate, p50/p90/p99/max, cores busy; per rate the engine's p99 minus the
 *           floor's; whether the engine held p99 <= 50 ms at 20,000 events/s; then one JSON line
 *           {"bench":"freshness","rates":[...]}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { jetstream, jetstreamManager, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { unpack } from 'msgpackr';
import { ensureConsumer, ensureStream } from '../src/ingest/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { watchCpu } from './cpu-share.js';
import { report, type Path } from './freshness-report.js';
import { Phase, summarize, wallClockMs } from './latency.js';
import type { PublisherReport } from './publisher-process.js';

const RATES = (process.argv[2] ?? '5000,20000,50000').split(',').map(Number);
const SECONDS = Number(process.argv[3] ?? 10);
const CUSTOMERS = Number(process.argv[4] ?? 50_000);

/** Streams and subjects of each path; the floor's consumer takes the engine's defaults (config/default.json). */
const PATHS = {
  core: { stream: undefined, prefix: 'direct', consumer: undefined },
  floor: { stream: 'FLOOR', prefix: 'floor', consumer: 'floor' },
  engine: { stream: 'FRESH', prefix: 'fresh', consumer: 'engine' },
} as const;
const SCORES = 'freshout';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The phase being measured: receipts of its path are recorded, those of the other are not. */
let phase: Phase<Path> | undefined;
/** The engine process as watched from here: `exit` is set when it ended before the benchmark stopped it. */
const engineProc = { port: 0, pid: -1, exit: undefined as string | undefined, updatesReceived: 0 };
/** nats-server's process id, for its CPU share. */
let serverPid = -1;

/**
 * Runs the publisher process to its end; its report is its last stdout line. `onPublishing` is called when it
 * starts publishing (its events are generated and encoded before).
 */
async function publish(
  url: string,
  prefix: string,
  rate: number,
  seconds: number,
  onPublishing: () => void,
): Promise<PublisherReport> {
  const script = 'dist/bench/publisher-process.js';
  const args = [`--url=${url}`, `--prefix=${prefix}`, `--rate=${rate}`, `--seconds=${seconds}`];
  const child = spawn(process.execPath, [script, ...args, `--customers=${CUSTOMERS}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    if (out === '' && d.toString().startsWith('publishing')) onPublishing();
    out += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`publisher process exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as PublisherReport;
}

/**
 * The floor: the engine's consumer settings (ensureConsumer, pulls of 2000), read through the same `consume`
 * iterator, one cumulative ack per socket read. What the engine adds on top of this is the engine's own doing.
 */
async function startFloorConsumer(nc: NatsConnection, jsm: JetStreamManager): Promise<() => void> {
  const { stream, prefix, consumer } = PATHS.floor;
  const filter = { subjects: [`${prefix}.>`], filterSubject: `${prefix}.>` };
  await ensureConsumer(jsm, { stream, consumer, ...filter, maxAckPending: 50_000, ackWaitMs: 30_000 });
  const iter = await (await jetstream(nc).consumers.get(stream, consumer)).consume({ max_messages: 2000 });
  let last: JsMsg | undefined;
  const ackLast = (): void => {
    last?.ack();
    last = undefined;
  };
  void (async () => {
    for await (const m of iter) {
      const at = wallClockMs();
      phase?.record('floor', (unpack(m.data) as { ts: number }).ts, at);
      if (last === undefined) setImmediate(ackLast); // after everything this socket read delivered
      last = m;
    }
  })();
  return () => iter.stop();
}

/** Core NATS only (no stream): what the transport costs before JetStream stores and delivers. */
function watchCore(nc: NatsConnection): void {
  nc.subscribe(`${PATHS.core.prefix}.>`, {
    callback: (_err, m) => phase?.record('core', (unpack(m.data) as { ts: number }).ts, wallClockMs()),
  });
}

/** Score updates as a platform team receives them, timed from the publish of the event behind each. */
function watchScores(nc: NatsConnection): void {
  nc.subscribe(`${SCORES}.scores.>`, {
    callback: (_err, m) => {
      const at = wallClockMs();
      engineProc.updatesReceived++;
      phase?.record('engine', (unpack(m.data) as { eventTime: number }).eventTime, at);
    },
  });
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  return port;
}

/** `churnflow start` as deployed, on the bench's stream; snapshots off, as a snapshot's pause is not freshness. */
function startEngine(url: string, port: number): ChildProcess {
  const { stream, prefix, consumer } = PATHS.engine;
  const env = {
    ...process.env,
    NATS_URL: url,
    CHURNFLOW_NATS_URL: url,
    CHURNFLOW_NATS_STREAM: stream,
    CHURNFLOW_NATS_CONSUMER: consumer,
    CHURNFLOW_INGEST_SUBJECT_PREFIX: prefix,
    CHURNFLOW_PUBLISH_PREFIX: SCORES,
    CHURNFLOW_SNAPSHOT_ENABLED: 'false',
    CHURNFLOW_HTTP_HOST: '127.0.0.1',
    CHURNFLOW_HTTP_PORT: String(port),
    CHURNFLOW_LOG_LEVEL: 'warn',
    CHURNFLOW_LOG_SUMMARY_EVERY_MS: '0',
  };
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.once('exit', (code, signal) => (engineProc.exit = `engine exited (${code ?? signal})`));
  engineProc.pid = child.pid ?? -1;
  return child;
}

/** Until `/readyz` answers 200: model loaded, consumer made, pipeline running. */
async function engineReady(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (engineProc.exit !== undefined) throw new Error(`${engineProc.exit} before it was ready`);
    if ((await fetch(`http://127.0.0.1:${engineProc.port}/readyz`).catch(() => undefined))?.ok === true)
      return;
    await sleep(100);
  }
  throw new Error('engine not ready after 60 s');
}

/** The engine's own counters (/metrics): messages read, evaluation rows scored, score updates published. */
async function engineCounters(): Promise<{ read: number; scored: number; published: number }> {
  const text = await (await fetch(`http://127.0.0.1:${engineProc.port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  const [read, scored] = [value('churnflow_ingest_batch_size_sum'), value('churnflow_score_batch_size_sum')];
  return { read, scored, published: value('churnflow_score_updates_total') };
}

/**
 * Whether every receipt of the phase is in. Floor: every published event. Engine: every event acknowledged (the
 * engine acks a batch once applied), every row it read scored, every update it published received here. A quiet
 * spell would not do: a starved engine can go half a second without publishing while rows wait.
 */
async function allIn(jsm: JetStreamManager, p: Phase<Path>, published: number): Promise<boolean> {
  if (p.path !== 'engine') return p.received >= published;
  let unacked = 0;
  for await (const c of jsm.consumers.list(PATHS.engine.stream)) unacked += c.num_pending + c.num_ack_pending;
  if (unacked > 0) return false;
  const c = await engineCounters();
  return c.scored >= c.read && c.published === engineProc.updatesReceived;
}

async function settled(jsm: JetStreamManager, p: Phase<Path>, published: number): Promise<void> {
  for (let i = 0; i < 2400; i++) {
    if (engineProc.exit !== undefined) throw new Error(engineProc.exit);
    if (await allIn(jsm, p, published)) return;
    await sleep(250);
  }
  throw new Error(`${p.path}: receipts still missing after 10 min`);
}

/** One phase: the publisher at `rate` on the path's stream, then every receipt in. */
async function measure(url: string, jsm: JetStreamManager, path: Path, rate: number, seconds = SECONDS) {
  globalThis.gc?.(); // collect the receiving process now, not in the middle of the phase
  const p = new Phase(path, wallClockMs());
  phase = p;
  // While the publisher runs: how busy the two cores were, and with what.
  let cpuSince = () => watchCpu({})();
  const pids = { server: serverPid, engine: engineProc.pid, bench: process.pid };
  const report = await publish(url, PATHS[path].prefix, rate, seconds, () => (cpuSince = watchCpu(pids)));
  const cpu = cpuSince();
  await settled(jsm, p, report.published);
  phase = undefined;
  return { report, latency: summarize(p.samples), received: p.received, stale: p.stale, cpu };
}
async function main(): Promise<void> {
  const server = await startNatsServer();
  serverPid = server.pid;
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  engineProc.port = await freePort();
  let child: ChildProcess | undefined;
  try {
    for (const { stream, prefix } of [PATHS.floor, PATHS.engine])
      await ensureStream(jsm, stream, [`${prefix}.>`]);
    const stopFloor = await startFloorConsumer(nc, jsm);
    watchCore(nc);
    watchScores(nc);
    child = startEngine(server.url, engineProc.port);
    await engineReady();
    // Warm-up, not counted: a second through each path (JIT, the model's first calls, buffers, pull requests).
    await measure(server.url, jsm, 'floor', RATES[0] ?? 5000, 1);
    await measure(server.url, jsm, 'engine', RATES[0] ?? 5000, 1);
    const rows = [];
    for (const rate of RATES) {
      const core = await measure(server.url, jsm, 'core', rate);
      const floor = await measure(server.url, jsm, 'floor', rate);
      const measured = await measure(server.url, jsm, 'engine', rate);
      rows.push({ rate, core, floor, engine: measured });
      process.stderr.write(
        `${rate}/s: p99 core ${core.latency.p99.toFixed(1)} ms, floor ${floor.latency.p99.toFixed(1)} ms, engine ${measured.latency.p99.toFixed(1)} ms\n`,
      );
    }
    stopFloor();
    report(rows, { seconds: SECONDS, customers: CUSTOMERS });
  } finally {
    child?.kill('SIGTERM');
    if (child !== undefined && engineProc.exit === undefined) await once(child, 'exit');
    await nc.close();
    await server.stop();
  }
}

await main();
