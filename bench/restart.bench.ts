/**
 * Restart to ready: an engine that stopped (writing its snapshot) starts again, restores the snapshot and replays
 * the tail published while it was down, until it has applied the stream's last message; beside it, in the same
 * run, an engine without snapshots that rebuilds the same state by replaying the whole stream (the baseline).
 *
 * Command:  npm run build && node dist/bench/restart.bench.js [events=400000] [customers=40000] [tail=10000]
 * Needs:    nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   seconds to ready for both, their ratio; for each, where the time went (model and connection, snapshot
 *           load with its size and MB/s, decode, consumer setup, state restore, start-up, the wait for the first
 *           message, the consumer replay with its rate) and the warnings logged meanwhile; also as JSON last.
 * Env:      RESTART_LOG=1 echoes the engines' logs (info and up) to stderr; DEBUG_RESTART=1 prints progress.
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

/** A log record as pino writes it (level, epoch ms, message, fields). */
interface LogRecord {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}
/** Every record the engines log (info and up), kept for the phases; RESTART_LOG=info also echoes them to stderr. */
const records: LogRecord[] = [];
const echo = process.env['RESTART_LOG'] !== undefined;
const log = pino(
  { level: 'info' },
  {
    write(line: string) {
      records.push(JSON.parse(line) as LogRecord);
      if (echo) process.stderr.write(line);
    },
  },
);

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

/** Where one start's time went, in seconds from the call of startChurnflow (undefined: not seen). */
interface Phases {
  /** Ready: the stream's last message applied. */
  readonly readySeconds: number;
  /** startChurnflow returned ("churnflow started"). */
  readonly startedSeconds: number;
  readonly connectedSeconds?: number;
  /** The snapshot's object read (list + chunks), its decode, its size. */
  readonly snapshot?: {
    readonly loadSeconds: number;
    readonly decodeSeconds: number;
    readonly bytes: number;
  };
  /** The snapshot decoded and checked against the stream: the start point chosen. */
  readonly chosenSeconds?: number;
  /** The durable consumer (re)created at the start point. */
  readonly consumerSeconds?: number;
  /** The engine took the snapshot's state. */
  readonly restoredSeconds?: number;
  /** The first message after the start point was seen applied (at the earliest when startChurnflow returned). */
  readonly firstAppliedSeconds?: number;
  /** Messages after the start point (the tail, or the whole stream)... */
  readonly applied: number;
  /** ...and those of them applied after the first was seen (the replay rate's numerator). */
  readonly appliedAfterFirst: number;
  /** Warnings and errors logged meanwhile, by message. */
  readonly warnings: Record<string, number>;
}

/** Starts an engine and waits until it applied the stream's last message; returns it and where the time went. */
async function untilCaughtUp(url: string, nc: NatsConnection, consumer: string, snapshots: boolean) {
  const last = (await (await jetstreamManager(nc)).streams.info(STREAM)).state.last_seq;
  const firstRecord = records.length;
  const wall0 = Date.now();
  const t0 = performance.now();
  const app: Churnflow = await startChurnflow(config(url, consumer, snapshots), log);
  const startedSeconds = (performance.now() - t0) / 1000;
  // One partition (P = 1): its engine.
  const engine = app.engine.engines()[0];
  if (engine === undefined) throw new Error('no engine started');
  // The start point; messages applied before startChurnflow returned count from its return (seen no earlier).
  const restoredAt = records.slice(firstRecord).find((r) => r.msg === 'state restored from snapshot');
  const fromSeq = Number(restoredAt?.['streamSeq'] ?? 0);
  let firstAppliedSeconds: number | undefined;
  let seenSeq = fromSeq;
  let lastLog = 0;
  for (;;) {
    const t = engine.totals;
    if (firstAppliedSeconds === undefined && t.lastStreamSeq > fromSeq) {
      firstAppliedSeconds = (performance.now() - t0) / 1000;
      seenSeq = t.lastStreamSeq;
    }
    if (t.lastStreamSeq >= last) break;
    await new Promise((r) => setTimeout(r, 10));
    if (process.env['DEBUG_RESTART'] && performance.now() - lastLog > 500) {
      lastLog = performance.now();
      process.stderr.write(
        `${consumer} ${((lastLog - t0) / 1000).toFixed(1)}s seq=${t.lastStreamSeq}/${last} events=${t.events} dups=${t.duplicates} updates=${t.scoreUpdates} backlog=${engine.backlog} clock=${new Date(engine.clockMs).toISOString()}\n`,
      );
    }
  }
  const readySeconds = (performance.now() - t0) / 1000;
  const seen = records.slice(firstRecord);
  const at = (msg: string): number | undefined => {
    const r = seen.find((x) => x.msg === msg);
    return r === undefined ? undefined : (r.time - wall0) / 1000;
  };
  const read = seen.find((x) => x.msg === 'snapshot read');
  const warnings: Record<string, number> = {};
  for (const r of seen) if (r.level >= 40) warnings[r.msg] = (warnings[r.msg] ?? 0) + 1;
  const phases: Phases = {
    readySeconds,
    startedSeconds,
    connectedSeconds: at('connected to NATS'),
    ...(read === undefined
      ? {}
      : {
          snapshot: {
            loadSeconds: (Number(read['listMs']) + Number(read['readMs'])) / 1000,
            decodeSeconds: Number(read['decodeMs']) / 1000,
            bytes: Number(read['bytes']),
          },
        }),
    chosenSeconds: at('snapshot read'),
    consumerSeconds:
      at('restoring customer state from a snapshot, then replaying the tail') ??
      at('rebuilding customer state: replaying the stream from its start'),
    restoredSeconds: at('state restored from snapshot'),
    firstAppliedSeconds,
    applied: last - fromSeq,
    appliedAfterFirst: last - seenSeq,
    warnings,
  };
  return { app, engine, phases, restored: fromSeq };
}

const s1 = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)} s`);

/** One line per phase, each with when it ended (seconds from the start) and how long it took. */
function describe(p: Phases): string[] {
  const lines: string[] = [];
  const step = (what: string, end: number | undefined, from: number | undefined, extra = ''): void => {
    if (end === undefined) return;
    const took = from === undefined ? undefined : end - from;
    lines.push(`  ${what.padEnd(42)} at ${s1(end).padStart(8)}   took ${s1(took).padStart(8)}${extra}`);
  };
  step('model loaded, NATS connected', p.connectedSeconds, 0);
  if (p.snapshot !== undefined && p.chosenSeconds !== undefined) {
    const { loadSeconds, decodeSeconds, bytes } = p.snapshot;
    const mb = bytes / 1e6;
    const readEnd = p.chosenSeconds - decodeSeconds;
    step('stream/bucket checks', readEnd - loadSeconds, p.connectedSeconds);
    step(
      'snapshot load (list + object read)',
      readEnd,
      readEnd - loadSeconds,
      `   ${mb.toFixed(1)} MB, ${(mb / Math.max(loadSeconds, 1e-3)).toFixed(0)} MB/s`,
    );
    step('snapshot decode (checksum, columns)', p.chosenSeconds, readEnd);
  }
  step('consumer created at the start point', p.consumerSeconds, p.chosenSeconds ?? p.connectedSeconds);
  step('state restored into the engine', p.restoredSeconds, p.consumerSeconds);
  step('started (ops, erase, requests served)', p.startedSeconds, p.restoredSeconds ?? p.consumerSeconds);
  step('first message applied', p.firstAppliedSeconds, p.startedSeconds);
  const rate = (n: number, s: number): string =>
    `${Math.round(n / Math.max(s, 1e-3)).toLocaleString('en')}/s`;
  if (p.firstAppliedSeconds !== undefined) {
    const took = p.readySeconds - p.firstAppliedSeconds;
    step(
      `consumer replay (${p.applied.toLocaleString('en')} messages)`,
      p.readySeconds,
      p.firstAppliedSeconds,
      `   ${rate(p.appliedAfterFirst, took)}`,
    );
  }
  lines.push(`  ${'ready'.padEnd(42)} at ${s1(p.readySeconds).padStart(8)}`);
  const warned = Object.entries(p.warnings);
  if (warned.length > 0)
    lines.push(`  warnings meanwhile: ${warned.map(([m, n]) => `${n}× ${JSON.stringify(m)}`).join(', ')}`);
  return lines;
}

/** The phases as JSON fields (seconds, 2 decimals). */
function phaseFields(p: Phases) {
  const r2 = (x: number | undefined) => (x === undefined ? null : Number(x.toFixed(2)));
  return {
    startedSeconds: r2(p.startedSeconds),
    snapshotLoadSeconds: r2(p.snapshot?.loadSeconds),
    snapshotDecodeSeconds: r2(p.snapshot?.decodeSeconds),
    snapshotBytes: p.snapshot?.bytes ?? null,
    firstAppliedSeconds: r2(p.firstAppliedSeconds),
    replaySeconds: r2(
      p.firstAppliedSeconds === undefined ? undefined : p.readySeconds - p.firstAppliedSeconds,
    ),
    readySeconds: r2(p.readySeconds),
    warnings: Object.values(p.warnings).reduce((a, b) => a + b, 0),
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
    const from = first.engine.clockMs;
    const tail = Array.from({ length: TAIL }, (_, i) => ({
      customerId: `c-${String(i % CUSTOMERS).padStart(6, '0')}`,
      type: 'page_view',
      ts: from + i * 10,
    }));
    for (const m of encodeEvents(tail, PREFIX)) nc.publish(m.subject, m.data);
    await nc.flush();
    const restarted = await untilCaughtUp(server.url, nc, 'engine', true);
    const customers = restarted.engine.store.size;
    await restarted.app.stop();
    const replayed = await untilCaughtUp(server.url, nc, 'baseline', false);
    await replayed.app.stop();
    console.log(
      `stream: ${stored.toLocaleString('en')} events of ${CUSTOMERS.toLocaleString('en')} customers, then a tail of ${TAIL.toLocaleString('en')}`,
    );
    console.log(
      `restart with snapshot (restore + tail): ${restarted.phases.readySeconds.toFixed(1)} s to ready (started in ${restarted.phases.startedSeconds.toFixed(1)} s, from stream sequence ${restarted.restored}), ${customers} customers`,
    );
    for (const line of describe(restarted.phases)) console.log(line);
    console.log(
      `baseline: full replay of the stream:    ${replayed.phases.readySeconds.toFixed(1)} s to ready`,
    );
    for (const line of describe(replayed.phases)) console.log(line);
    const ratio = restarted.phases.readySeconds / replayed.phases.readySeconds;
    console.log(`ratio restore / replay:                 ${ratio.toFixed(2)}`);
    console.log(
      JSON.stringify({
        bench: 'restart',
        events: stored + TAIL,
        customers: CUSTOMERS,
        tail: TAIL,
        restoreSeconds: Number(restarted.phases.readySeconds.toFixed(2)),
        replaySeconds: Number(replayed.phases.readySeconds.toFixed(2)),
        ratio: Number(ratio.toFixed(3)),
        restore: phaseFields(restarted.phases),
        replay: phaseFields(replayed.phases),
      }),
    );
  } finally {
    await nc.close();
    await server.stop();
  }
}

await main();
