/**
 * Memory per customer of a real engine process: `node dist/src/cli/main.js start` consumes a stream of N distinct
 * customers (a few events each) from a private nats-server until it has applied every event; then its resident
 * set, V8 heap used and external memory (array buffers: the state columns) are read from its own /metrics.
 * Beside them, in the same run, the same engine process idle on an empty stream: per customer is
 * (loaded − idle) / N, and total / N too. The design's budget: ≤ 1 KB of process memory per customer at 1M.
 *
 * Command:  npm run bench:memory [-- 100000 1000000]   (customer counts; default 100,000 and 1,000,000)
 * Needs:    npm run build; nats-server on PATH (Debian: apt-get install nats-server); the shipped model in models/.
 * Prints:   per run: customers, events, catch-up seconds, RSS / heap used / external in MB and bytes per
 *           customer (above idle and total), the columns' share (churnflow_state_bytes); JSON last. All of it
 *           twice: with glibc's malloc set up as the image sets it (MALLOC_MMAP_THRESHOLD_, read from the
 *           Dockerfile; the budget's verdict) and with glibc's defaults, whose dynamic mmap threshold rises (up
 *           to 32 MiB) each time a growing array frees a mapping larger than it; buffers below it then come from
 *           the heap, where what is freed mostly stays resident. The two take turns at each size.
 * Env:      EVENTS_PER_CUSTOMER (default 2); ENGINE_LOG=1 echoes the engines' logs to stderr.
 *
 * Two readings, each the minimum of SAMPLES readings 1 s apart: "settled", SETTLE_MS after the catch-up, as an
 * operator's scrape sees it (it still holds garbage of the replay); "after GC", each sample right after a full GC
 * the bench makes the engine run (the engine has no such hook: the bench loads one into the process, see
 * engine-process.ts). The budget is judged on RSS after GC. "Caught up" (and the catch-up time) includes the one
 * score update per customer a replay holds back having gone out (churnflow_score_updates_held 0). Snapshots are
 * off: a snapshot copies the state for a few seconds, which is not what a customer costs between snapshots.
 */
import { readFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  fillCustomerStream,
  handled,
  sleep,
  spawnEngine,
  startBroker,
  until,
  type Broker,
  type EngineProcess,
} from './engine-process.js';

const SIZES = process.argv.slice(2).map(Number);
const CUSTOMERS = [...new Set(SIZES.length > 0 ? SIZES : [100_000, 1_000_000])].sort((a, b) => a - b);
const PER_CUSTOMER = Number(process.env['EVENTS_PER_CUSTOMER'] ?? 2);
const SAMPLES = 3;
const SETTLE_MS = 5_000;
const BUDGET = 1024;
const HELD = 'churnflow_score_updates_held';
const MMAP_THRESHOLD = 'MALLOC_MMAP_THRESHOLD_';
/** Read from /metrics: what a customer costs, and the engine's own view of it. */
const FIGURES = {
  rss: 'process_resident_memory_bytes',
  heapUsed: 'nodejs_heap_size_used_bytes',
  external: 'nodejs_external_memory_bytes',
  stateBytes: 'churnflow_state_bytes',
} as const;
type Figures = Record<keyof typeof FIGURES, number>;

interface Run {
  readonly customers: number;
  readonly events: number;
  readonly catchUpSeconds: number;
  /** After a forced full GC (what the verdict uses). */
  readonly memory: Figures;
  /** Settled, without a forced GC. */
  readonly settled: Figures;
}

/** Fills a stream with `customers` customers, runs an engine over it until caught up, samples its memory. */
async function measure(broker: Broker, customers: number): Promise<Run> {
  const stream = `MEM_${customers}`;
  const prefix = `mem${customers}`;
  const events = await fillCustomerStream(broker.nc, stream, prefix, customers, PER_CUSTOMER);
  progress(`${customers} customers: ${events} events stored; engine starting`);
  const engine = await spawnEngine({
    url: broker.server.url,
    stream,
    prefix,
    consumer: `mem${customers}`,
    snapshots: false,
    echo: process.env['ENGINE_LOG'] !== undefined,
    gcHook: true,
  });
  try {
    // Caught up: every event applied (or refused) as the engine counts them, /readyz 200, and the one score update
    // per customer that a replay holds back published (until then the engine is still working off the backlog).
    let lastNote = 0;
    const catchUpSeconds = await until(async () => {
      const m = await engine.metrics();
      if (m !== undefined && engine.elapsed() - lastNote > 10) {
        lastNote = engine.elapsed();
        progress(
          `  ${lastNote.toFixed(0)} s: ${handled(m)} of ${events} applied, ${m.get(HELD)} updates held`,
        );
      }
      const done = m !== undefined && handled(m) >= events && m.get(HELD) === 0;
      return done && (await engine.ready()) ? engine.elapsed() : undefined;
    }, 60_000 + events);
    await sleep(SETTLE_MS);
    const settled = await sample(engine, false);
    const memory = await sample(engine, true);
    return { customers, events, catchUpSeconds, memory, settled };
  } finally {
    await engine.stop('SIGKILL');
    await (await jetstreamManager(broker.nc)).streams.delete(stream);
  }
}

/** The minimum of each figure over SAMPLES readings 1 s apart, each right after a full GC when `gc`. */
async function sample(engine: EngineProcess, gc: boolean): Promise<Figures> {
  const min = { rss: Infinity, heapUsed: Infinity, external: Infinity, stateBytes: Infinity };
  for (let i = 0; i < SAMPLES; i++) {
    if (gc) await engine.collectGarbage();
    const m = await until(() => engine.metrics(), 10_000);
    for (const [key, name] of Object.entries(FIGURES) as [keyof Figures, string][]) {
      min[key] = Math.min(min[key], m.get(name) ?? Number.NaN);
    }
    await sleep(1000);
  }
  return min;
}

const progress = (line: string): boolean => process.stderr.write(`${line}\n`);
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const per = (bytes: number, customers: number): number => Math.round(bytes / customers);

/** Bytes per customer of `r` above the idle engine, from the readings `which`. */
function aboveIdle(r: Run, idle: Run, which: 'memory' | 'settled'): Figures {
  const d = (k: keyof Figures): number => per(r[which][k] - idle[which][k], r.customers);
  return { rss: d('rss'), heapUsed: d('heapUsed'), external: d('external'), stateBytes: d('stateBytes') };
}

function print(idle: Run, runs: readonly Run[]): void {
  console.log(
    `engine process memory, ${PER_CUSTOMER} events per customer, snapshots off; each figure the min of ${SAMPLES} samples 1 s apart`,
  );
  console.log(
    'customers | events    | catch-up | reading  |  RSS MB | heap MB | ext MB | columns MB | B/customer above idle: RSS  heap   ext | total RSS',
  );
  for (const r of [idle, ...runs]) {
    for (const which of ['memory', 'settled'] as const) {
      const f = r[which];
      const head =
        which === 'memory'
          ? `${r.customers.toLocaleString('en').padStart(9)} | ${r.events.toLocaleString('en').padStart(9)} | ${r.catchUpSeconds.toFixed(1).padStart(6)} s`
          : `${''.padStart(9)} | ${''.padStart(9)} | ${''.padStart(8)}`;
      const d = r.customers === 0 ? undefined : aboveIdle(r, idle, which);
      const above = d === undefined ? 'idle baseline' : `${d.rss}  ${d.heapUsed}  ${d.external}`;
      const total = r.customers === 0 ? '' : String(per(f.rss, r.customers));
      console.log(
        `${head} | ${which === 'memory' ? 'after GC' : 'settled '} | ${mb(f.rss).padStart(7)} | ${mb(f.heapUsed).padStart(7)} | ${mb(f.external).padStart(6)} | ${mb(f.stateBytes).padStart(10)} | ${above.padStart(38)} | ${total.padStart(9)}`,
      );
    }
  }
}

/** How glibc's malloc is set up for the engine: as the image runs it (Dockerfile), or glibc's defaults. */
interface Allocator {
  readonly name: string;
  /** MALLOC_MMAP_THRESHOLD_ for the engine; undefined: unset (glibc's dynamic threshold). */
  readonly mmapThreshold: string | undefined;
}

/** The MALLOC_MMAP_THRESHOLD_ the image sets (its final stage's ENV), so the bench measures what ships. */
function imageMmapThreshold(): string {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const m = /^ENV MALLOC_MMAP_THRESHOLD_=(\d+)\s*$/m.exec(dockerfile);
  if (m === null) throw new Error('the Dockerfile sets no MALLOC_MMAP_THRESHOLD_');
  return m[1]!;
}

/** Sets up the environment the engines inherit (see spawnEngine) with glibc's malloc as `allocator` says. */
function useAllocator(allocator: Allocator): void {
  // Nothing from the caller's shell: "glibc's defaults" must be the defaults.
  for (const name of Object.keys(process.env)) {
    if (/^MALLOC_\w+_$/.test(name) || name === 'GLIBC_TUNABLES') delete process.env[name];
  }
  if (allocator.mmapThreshold !== undefined) process.env[MMAP_THRESHOLD] = allocator.mmapThreshold;
}

/**
 * The idle engine and one run per customer count under each allocator, the allocators taking turns at each size
 * so that a machine getting busier or quieter during the bench favours neither.
 */
async function measureAll(
  broker: Broker,
  allocators: readonly Allocator[],
): Promise<{ idle: Run; runs: Run[] }[]> {
  const results = allocators.map(() => ({ idle: undefined as Run | undefined, runs: [] as Run[] }));
  for (const customers of [0, ...CUSTOMERS]) {
    for (const [i, allocator] of allocators.entries()) {
      useAllocator(allocator);
      progress(`malloc: ${allocator.name}`);
      const run = await measure(broker, customers);
      if (customers === 0) results[i]!.idle = run;
      else results[i]!.runs.push(run);
    }
  }
  return results.map(({ idle, runs }) => ({ idle: idle!, runs }));
}

interface Verdict {
  readonly customers: number;
  /** RSS after GC above the idle engine, per customer: what the budget is judged on. */
  readonly aboveIdle: number;
  /** RSS after GC per customer, the idle engine's share included. */
  readonly total: number;
  /**
   * RSS per customer added between the two largest runs: the idle engine is not in it, nor what a catch-up leaves
   * behind as far as that does not grow with the customers (the heap's high-water of in-flight buffers). Undefined
   * with one run.
   */
  readonly marginal: number | undefined;
}

/** The budget's readings of the largest run. */
function verdictOf(idle: Run, runs: readonly Run[]): Verdict {
  const largest = runs.at(-1)!;
  const before = runs.at(-2);
  return {
    customers: largest.customers,
    aboveIdle: aboveIdle(largest, idle, 'memory').rss,
    total: per(largest.memory.rss, largest.customers),
    marginal:
      before === undefined
        ? undefined
        : per(largest.memory.rss - before.memory.rss, largest.customers - before.customers),
  };
}

async function main(): Promise<void> {
  const threshold = imageMmapThreshold();
  const allocators: Allocator[] = [
    { name: `as the image runs it (${MMAP_THRESHOLD}=${threshold}, Dockerfile)`, mmapThreshold: threshold },
    { name: "glibc's defaults (dynamic mmap threshold)", mmapThreshold: undefined },
  ];
  const broker = await startBroker();
  try {
    const measured = await measureAll(broker, allocators);
    const results = [];
    for (const [i, allocator] of allocators.entries()) {
      const { idle, runs } = measured[i]!;
      console.log(`\nmalloc: ${allocator.name}`);
      print(idle, runs);
      const verdict = verdictOf(idle, runs);
      const met = (bytes: number): string => `${bytes} B (${bytes <= BUDGET ? 'met' : 'MISSED'})`;
      const marginal = verdict.marginal === undefined ? '' : `; per customer added: ${verdict.marginal} B`;
      console.log(
        `budget ${BUDGET} B/customer at ${verdict.customers.toLocaleString('en')}, RSS after GC: above idle ${met(verdict.aboveIdle)}, total ${verdict.total} B${marginal}`,
      );
      results.push({
        malloc: allocator.name,
        mmapThreshold: allocator.mmapThreshold ?? null,
        idle: idle.memory,
        runs: runs.map((r) => ({
          ...r,
          perCustomerAboveIdle: aboveIdle(r, idle, 'memory'),
          perCustomerAboveIdleSettled: aboveIdle(r, idle, 'settled'),
          perCustomerTotal: { rss: per(r.memory.rss, r.customers) },
        })),
        verdict,
      });
    }
    console.log(
      JSON.stringify({
        bench: 'engine-memory',
        eventsPerCustomer: PER_CUSTOMER,
        sampling: `min of ${SAMPLES} samples; memory: after a forced GC, settled: without`,
        budgetBytesPerCustomer: BUDGET,
        allocators: results,
      }),
    );
  } finally {
    await broker.stop();
  }
}

await main();
