/**
 * What the process benchmarks share: a private nats-server with an event stream filled with N distinct customers,
 * and the engine run as a real child process (`node dist/src/cli/main.js start`) watched through its HTTP
 * /metrics and /readyz and its JSON log, stopped with SIGTERM (drain + last snapshot) or SIGKILL.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { CustomerEvent } from '../src/contract/event.js';
import { encodeEvents } from '../src/ingest/index.js';
import { startNatsServer } from '../src/nats/index.js';
import { DAY_MS } from '../src/state/index.js';

/** The repository root (holds config/ and models/): dist/bench/ is two levels below it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/**
 * Loaded into the engine before its own code: SIGUSR2 runs a full GC. The engine has no such hook, and a reading
 * without one counts garbage V8 has not collected yet (after a replay of 100k customers, 3x the live heap).
 */
const GC_HOOK = 'data:text/javascript,process.on("SIGUSR2",()=>globalThis.gc())';

/** A private nats-server and a connection to it; `stop()` closes both and removes the server's store. */
export async function startBroker() {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  return { server, nc, stop: async (): Promise<void> => (await nc.close(), await server.stop()) };
}
export type Broker = Awaited<ReturnType<typeof startBroker>>;

/** Creates the file-backed stream `stream` capturing `<prefix>.>` (what the engine would create itself). */
export async function addStream(nc: NatsConnection, stream: string, prefix: string): Promise<void> {
  await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${prefix}.>`] });
}

/**
 * Creates stream `stream` on `<prefix>.>` and fills it with `perCustomer` events of each of `customers` customers
 * ({@link customerEvents}, ending now); returns how many events it holds.
 */
export async function fillCustomerStream(
  nc: NatsConnection,
  stream: string,
  prefix: string,
  customers: number,
  perCustomer: number,
): Promise<number> {
  await addStream(nc, stream, prefix);
  return publishEvents(nc, stream, prefix, customerEvents(customers, perCustomer, Date.now()));
}

/** The id of customer `i`: 12 characters like `cus_0000lflr`, as the state-memory bench uses. */
export const customerId = (i: number): string => `cus_${i.toString(36).padStart(8, '0')}`;

/** Event types the fill cycles through (visits, a purchase, a message open, a cart), values where required. */
const KINDS: readonly Omit<CustomerEvent, 'customerId' | 'ts'>[] = [
  { type: 'page_view', channel: 'web' },
  { type: 'purchase', value: 42.5, channel: 'web' },
  { type: 'message_open', channel: 'email' },
  { type: 'cart_add', channel: 'app' },
];

/**
 * `perCustomer` rounds over customers `0..count-1`, each round a day later, the last ending before `endMs`: the
 * first round creates every customer. Plain arithmetic: the simulator sends dozens of events per customer.
 */
export function* customerEvents(count: number, perCustomer: number, endMs: number): Generator<CustomerEvent> {
  for (let r = 0; r < perCustomer; r++) {
    const dayStart = endMs - (perCustomer - r) * DAY_MS;
    for (let i = 0; i < count; i++) {
      // Spread over the day so customers do not all share one event time.
      const ts = dayStart + Math.floor((i / count) * (DAY_MS - 1));
      yield { customerId: customerId(i), ts, ...KINDS[(i + r) % KINDS.length]! };
    }
  }
}

/**
 * Publishes `events` with core publishes (no ack round trip each), a flush every 10,000, then waits until the
 * stream holds them all; throws when some never arrived. Returns how many were published.
 */
export async function publishEvents(
  nc: NatsConnection,
  stream: string,
  prefix: string,
  events: Iterable<CustomerEvent>,
): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const before = (await jsm.streams.info(stream)).state.messages;
  let sent = 0;
  let chunk: CustomerEvent[] = [];
  const send = async (): Promise<void> => {
    for (const m of encodeEvents(chunk, prefix)) nc.publish(m.subject, m.data);
    sent += chunk.length;
    chunk = [];
    await nc.flush();
  };
  for (const e of events) if (chunk.push(e) === 10_000) await send();
  await send();
  let stored = 0;
  for (let i = 0; i < 200; i++) {
    stored = (await jsm.streams.info(stream)).state.messages - before;
    if (stored >= sent) return sent;
    await sleep(50);
  }
  throw new Error(`stream ${stream} stored ${stored} of ${sent} published events`);
}

/** How to run one engine process: its NATS server, stream, subject prefix, consumer (snapshots are per consumer). */
export interface EngineOptions {
  readonly url: string;
  readonly stream: string;
  readonly prefix: string;
  readonly consumer: string;
  readonly snapshots: boolean;
  /** More `CHURNFLOW_*` variables (they win over the ones set here). */
  readonly env?: Readonly<Record<string, string>>;
  /** Echo the engine's log lines to our stderr. */
  readonly echo?: boolean;
  /** Let {@link EngineProcess.collectGarbage} force a full GC in the engine (see GC_HOOK). */
  readonly gcHook?: boolean;
}

/** A log record as pino writes it. */
export interface LogRecord {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A running engine process. */
export interface EngineProcess {
  readonly pid: number;
  /** Wall clock (epoch ms) at the spawn, to place log records; `elapsed()`: seconds since then. */
  readonly spawnedAtMs: number;
  elapsed(): number;
  /** Every JSON log record so far. */
  readonly logs: readonly LogRecord[];
  /** /metrics as metric name -> sum over its series; undefined while nothing answers; throws once it exited. */
  metrics(): Promise<Map<string, number> | undefined>;
  /** Whether /readyz answers 200; throws once the process exited. */
  ready(): Promise<boolean>;
  /** Forces a full GC (needs `gcHook`) and resolves once the engine serves requests again. */
  collectGarbage(): Promise<void>;
  /** Sends `signal` and waits for the exit; resolves with the seconds that took. */
  stop(signal: 'SIGTERM' | 'SIGKILL', timeoutMs?: number): Promise<number>;
}

/** Spawns `node dist/src/cli/main.js start` against the broker, its ops server on a free loopback port. */
export async function spawnEngine(opts: EngineOptions): Promise<EngineProcess> {
  const port = await freePort();
  const spawnedAtMs = Date.now();
  const t0 = performance.now();
  const hook = opts.gcHook === true ? ['--expose-gc', '--import', GC_HOOK] : [];
  const env = { ...process.env, ...engineEnv(opts, port), ...opts.env };
  const child = spawn(process.execPath, [...hook, MAIN, 'start'], { cwd: ROOT, env, stdio: 'pipe' });
  // Never outlive the bench: a crashed bench must not leave a 1 GB engine behind.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = once(child, 'exit').finally(() => process.removeListener('exit', killOnExit));
  const logs = collectLogs(child.stdout, opts.echo === true);
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
  // A probe of an engine that died fails at once, instead of polling an empty port until the time-out.
  const get = async (path: string): Promise<Response | undefined> => {
    const ended = child.exitCode ?? child.signalCode;
    if (ended !== null) throw new Error(`the engine exited (${ended}); ENGINE_LOG=1 shows its log`);
    return fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
  };
  return {
    pid: child.pid ?? -1,
    spawnedAtMs,
    logs,
    elapsed: () => (performance.now() - t0) / 1000,
    metrics: async () => {
      const res = await get('/metrics');
      return res?.ok === true ? parseMetrics(await res.text()) : undefined;
    },
    ready: async () => (await get('/readyz'))?.status === 200,
    async collectGarbage() {
      if (opts.gcHook !== true) throw new Error('spawned without gcHook');
      child.kill('SIGUSR2');
      // The GC runs on the engine's event loop: a request answered after it means it is done.
      await sleep(200);
      await get('/healthz');
    },
    async stop(signal, timeoutMs = 300_000) {
      const s0 = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
      return (performance.now() - s0) / 1000;
    },
  };
}

/** The engine's configuration, as `CHURNFLOW_*` variables (src/config/schema.ts names the keys). */
function engineEnv(opts: EngineOptions, port: number): Record<string, string> {
  return {
    NATS_URL: opts.url,
    CHURNFLOW_NATS_STREAM: opts.stream,
    CHURNFLOW_NATS_CONSUMER: opts.consumer,
    CHURNFLOW_INGEST_SUBJECT_PREFIX: opts.prefix,
    CHURNFLOW_PUBLISH_PREFIX: `out_${opts.consumer}`,
    CHURNFLOW_SNAPSHOT_ENABLED: String(opts.snapshots),
    CHURNFLOW_HTTP_HOST: '127.0.0.1',
    CHURNFLOW_HTTP_PORT: String(port),
    CHURNFLOW_LOG_LEVEL: 'info',
    CHURNFLOW_LOG_SUMMARY_EVERY_MS: '0',
  };
}

/** Parses the engine's stdout (pino: one JSON record per line, a chunk may end mid-line) into a growing list. */
function collectLogs(stdout: Readable, echo: boolean): LogRecord[] {
  const logs: LogRecord[] = [];
  let partial = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (echo) process.stderr.write(`${line}\n`);
      if (line.startsWith('{')) logs.push(JSON.parse(line) as LogRecord);
    }
  });
  return logs;
}

/** Prometheus text format to metric name -> sum over its series (histograms' _bucket lines are skipped). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{.*\})?\s+(\S+)/.exec(line);
    if (m === null || m[1]!.endsWith('_bucket')) continue;
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

/**
 * Events the engine has dealt with: applied or dead-lettered. Not the duplicates: a slow engine gets batches
 * redelivered after the ack wait, and counting the skipped copies would call it caught up too early.
 */
export const handled = (m: Map<string, number>): number =>
  (m.get('churnflow_events_total') ?? 0) + (m.get('churnflow_dead_letters_total') ?? 0);

/** Polls `probe` every 100 ms until it returns a value other than undefined; throws after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port free on loopback now (the OS picks it; released before the engine binds it). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
