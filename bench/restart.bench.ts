/**
 * Restart to ready of the engine PROCESS (`node dist/src/cli/main.js start`) at 1M customers: an engine that
 * caught up on the stream stops with SIGTERM (it drains and writes its snapshot to the JetStream object store), a
 * tail is published while it is down, and a new process restores the snapshot and replays the tail. Beside it, in
 * the same run, the baseline: that first engine's own start, a fresh consumer without a snapshot replaying the
 * whole stream. The design's budget: ready within 30 s after a restart at 1M customers.
 *
 * Command:  npm run bench:restart [-- customers=1000000 [tail=10000]]
 * Needs:    npm run build; nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   for both starts, seconds from the spawn to each step (model, NATS, snapshot read and restored, /readyz
 *           200, everything applied), the shutdown's drain + snapshot time and size, their ratio; JSON last.
 * Env:      EVENTS_PER_CUSTOMER (default 1: the restart's cost is the snapshot, which grows with customers, not
 *           events; the baseline's replay grows with events); ENGINE_LOG=1 echoes the engines' logs to stderr.
 *
 * Periodic snapshots are pushed past the run (interval 1 h, every 1e9 events): the only one is the shutdown's,
 * and the baseline replay is not slowed by copies of the state. /readyz follows the consumer's pending count,
 * which the engine reads every health.pollIntervalMs (default 2 s): ready lags "applied" by up to that.
 */
import {
  customerId,
  fillCustomerStream,
  handled,
  publishEvents,
  spawnEngine,
  startBroker,
  until,
  type EngineProcess,
  type LogRecord,
} from './engine-process.js';

const CUSTOMERS = Number(process.argv[2] ?? 1_000_000);
const TAIL = Number(process.argv[3] ?? 10_000);
const PER_CUSTOMER = Number(process.env['EVENTS_PER_CUSTOMER'] ?? 1);
const STREAM = 'RESTART';
const PREFIX = 'rs';
const BUDGET_SECONDS = 30;
const ENV = { CHURNFLOW_SNAPSHOT_INTERVAL_MS: '3600000', CHURNFLOW_SNAPSHOT_EVERY_EVENTS: '1000000000' };

/** One start of the engine process: seconds from its spawn to each step (undefined: not logged). */
interface Start {
  readonly modelSeconds?: number;
  readonly connectedSeconds?: number;
  readonly snapshot?: { readonly seconds: number; readonly bytes: number; readonly readMs: number };
  readonly restoredSeconds?: number;
  readonly customers?: number;
  readonly startedSeconds?: number;
  readonly readySeconds: number;
  /** Every message of this start applied: the tail after a restore, the whole stream in a replay. */
  readonly appliedSeconds: number;
  readonly applied: number;
  readonly warnings: number;
}

/** Spawns an engine and waits until it has applied `expected` events and /readyz answers 200. */
async function start(url: string, snapshots: boolean, expected: number) {
  const engine = await spawnEngine({
    url,
    stream: STREAM,
    prefix: PREFIX,
    consumer: 'engine',
    snapshots,
    env: ENV,
    echo: process.env['ENGINE_LOG'] !== undefined,
  });
  let readySeconds: number | undefined;
  let appliedSeconds: number | undefined;
  let lastNote = 0;
  await until(async () => {
    // Timed when the answer arrives: a request sent while the engine was busy (restoring) waits for it.
    if (readySeconds === undefined && (await engine.ready())) readySeconds = engine.elapsed();
    const m = appliedSeconds === undefined ? await engine.metrics() : undefined;
    if (m !== undefined && handled(m) >= expected) appliedSeconds = engine.elapsed();
    if (m !== undefined && engine.elapsed() - lastNote > 15) {
      lastNote = engine.elapsed();
      process.stderr.write(`  ${lastNote.toFixed(0)} s: ${handled(m)} of ${expected} applied\n`);
    }
    return readySeconds !== undefined && appliedSeconds !== undefined ? true : undefined;
  }, 120_000 + expected);
  return { engine, start: phases(engine, readySeconds ?? NaN, appliedSeconds ?? NaN, expected) };
}

/** Where the time went, from the engine's log (pino's epoch-ms `time`, against the wall clock at the spawn). */
function phases(engine: EngineProcess, readySeconds: number, appliedSeconds: number, applied: number): Start {
  const find = (msg: string): LogRecord | undefined => engine.logs.find((r) => r.msg === msg);
  const at = (msg: string): number | undefined => {
    const r = find(msg);
    return r === undefined ? undefined : (r.time - engine.spawnedAtMs) / 1000;
  };
  const read = find('snapshot read');
  const restored = find('state restored from snapshot');
  return {
    modelSeconds: at('churn model loaded'),
    connectedSeconds: at('connected to NATS'),
    ...(read === undefined
      ? {}
      : {
          snapshot: {
            seconds: at('snapshot read') ?? NaN,
            bytes: Number(read['bytes']),
            readMs: Number(read['listMs']) + Number(read['readMs']),
          },
        }),
    restoredSeconds: at('state restored from snapshot'),
    ...(restored === undefined ? {} : { customers: Number(restored['customers']) }),
    startedSeconds: at('churnflow started'),
    readySeconds,
    appliedSeconds,
    applied,
    warnings: engine.logs.filter((r) => r.level >= 40).length,
  };
}

const sec = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(1)} s`);
const n = (x: number): string => x.toLocaleString('en');

function print(restart: Start, replay: Start, shutdown: { seconds: number; bytes: number }): void {
  console.log(
    `stream: ${n(CUSTOMERS * PER_CUSTOMER)} events of ${n(CUSTOMERS)} customers, then a tail of ${n(TAIL)} published while the engine was down`,
  );
  console.log(
    `shutdown before the restart (SIGTERM: drain, snapshot of ${(shutdown.bytes / 1e6).toFixed(0)} MB, exit): ${sec(shutdown.seconds)}`,
  );
  const snap = restart.snapshot;
  const mbps = snap === undefined ? '' : `, ${(snap.bytes / 1e3 / Math.max(snap.readMs, 1)).toFixed(0)} MB/s`;
  const rows: [string, number | undefined, number | undefined][] = [
    ['churn model loaded', restart.modelSeconds, replay.modelSeconds],
    ['connected to NATS', restart.connectedSeconds, replay.connectedSeconds],
    [`snapshot read and decoded${mbps}`, snap?.seconds, undefined],
    [`state restored (${n(restart.customers ?? 0)} customers)`, restart.restoredSeconds, undefined],
    ['started (ops, requests served)', restart.startedSeconds, replay.startedSeconds],
    ['/readyz 200', restart.readySeconds, replay.readySeconds],
    [
      `applied (tail ${n(restart.applied)} | stream ${n(replay.applied)})`,
      restart.appliedSeconds,
      replay.appliedSeconds,
    ],
  ];
  console.log(`${'seconds from the spawn to'.padEnd(48)} | restart: snapshot + tail | baseline: full replay`);
  for (const [what, a, b] of rows)
    console.log(`${what.padEnd(48)} | ${sec(a).padStart(24)} | ${sec(b).padStart(21)}`);
  const ratio = restart.readySeconds / replay.readySeconds;
  console.log(`ratio restart / full replay (to /readyz 200): ${ratio.toFixed(3)}`);
  const verdict = restart.readySeconds <= BUDGET_SECONDS ? 'met' : 'MISSED';
  console.log(`budget: ready within ${BUDGET_SECONDS} s at ${n(CUSTOMERS)} customers: ${verdict}`);
  if (restart.warnings + replay.warnings > 0) {
    console.log(
      `warnings logged: restart ${restart.warnings}, replay ${replay.warnings} (ENGINE_LOG=1 shows them)`,
    );
  }
  console.log(
    JSON.stringify({
      bench: 'restart',
      customers: CUSTOMERS,
      events: CUSTOMERS * PER_CUSTOMER,
      tail: TAIL,
      restoreSeconds: Number(restart.readySeconds.toFixed(2)),
      replaySeconds: Number(replay.readySeconds.toFixed(2)),
      ratio: Number(ratio.toFixed(3)),
      shutdownSeconds: Number(shutdown.seconds.toFixed(2)),
      snapshotBytes: shutdown.bytes,
      restore: restart,
      replay,
    }),
  );
}

async function main(): Promise<void> {
  const broker = await startBroker();
  try {
    const events = await fillCustomerStream(broker.nc, STREAM, PREFIX, CUSTOMERS, PER_CUSTOMER);
    process.stderr.write(`${events} events stored; the baseline replays them\n`);
    // The baseline: a fresh consumer, no snapshot yet, so it replays the whole stream...
    const first = await start(broker.server.url, true, events);
    // ...and is then the engine that restarts: SIGTERM makes it drain and write its snapshot on the way out.
    const shutdownSeconds = await first.engine.stop('SIGTERM');
    const written = first.engine.logs.findLast((r) => r.msg === 'snapshot written');
    if (written === undefined) throw new Error('the engine stopped without writing a snapshot');
    const from = Date.now() - TAIL;
    const tail = Array.from({ length: TAIL }, (_, i) => ({
      customerId: customerId(i % CUSTOMERS),
      type: 'page_view',
      ts: from + i,
    }));
    await publishEvents(broker.nc, STREAM, PREFIX, tail);
    process.stderr.write(`snapshot written, tail published; restarting\n`);
    const restarted = await start(broker.server.url, true, TAIL);
    await restarted.engine.stop('SIGKILL');
    if (restarted.start.restoredSeconds === undefined)
      throw new Error('the restart did not restore a snapshot');
    print(restarted.start, first.start, { seconds: shutdownSeconds, bytes: Number(written['bytes']) });
  } finally {
    await broker.stop();
  }
}

await main();
