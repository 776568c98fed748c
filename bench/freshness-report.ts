/** The freshness benchmark's table and JSON line: per rate, each path's latencies and where the CPU went. */
import type { CpuShare } from './cpu-share.js';
import { round2, rounded, type LatencySummary } from './latency.js';
import type { PublisherReport } from './publisher-process.js';

/** The measured paths: core NATS, the JetStream floor, the engine. */
export type Path = 'core' | 'floor' | 'engine';

/** One path measured at one rate. */
export interface Measured {
  readonly report: PublisherReport;
  readonly latency: LatencySummary;
  readonly received: number;
  readonly stale: number;
  readonly cpu: CpuShare;
}

const BUDGET = { rate: 20_000, p99Ms: 50 };
const ms = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(1));
const cores = (c: CpuShare, of: string) => (c.processes[of] ?? Number.NaN).toFixed(2);
const roundedCpu = (c: CpuShare) => ({
  machine: round2(c.machine),
  ...Object.fromEntries(Object.entries(c.processes).map(([k, v]) => [k, round2(v)])),
});

function row(rate: number, path: Path, m: Measured): string {
  const s = m.latency;
  const latencies = [s.p50, s.p90, s.p99, s.max].map(ms).join(' | ');
  const busy = `${m.cpu.machine.toFixed(2)} | ${cores(m.cpu, 'server')} | ${cores(m.cpu, 'engine')}`;
  return `| ${rate} | ${path} | ${m.report.achievedRate} | ${latencies} | ${busy} | ${s.count} |`;
}

export function report(
  rows: readonly { rate: number; core: Measured; floor: Measured; engine: Measured }[],
  run: { seconds: number; customers: number },
): void {
  console.log(
    `${run.seconds} s per rate and path, ${run.customers.toLocaleString('en')} customers; latencies in ms; ` +
      'cores busy while publishing (of 2): all processes, nats-server, the engine',
  );
  console.log('| rate | path | achieved | p50 | p90 | p99 | max | cores: all | server | engine | received |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    for (const path of ['core', 'floor', 'engine'] as const) console.log(row(r.rate, path, r[path]));
  for (const { rate, floor, core } of rows) {
    for (const [path, m] of [
      ['core', core],
      ['floor', floor],
    ] as const) {
      const lost = m.report.published - m.received;
      if (lost !== 0) console.log(`  rate ${rate}: the ${path} path missed ${lost} of the published events`);
    }
  }
  for (const { rate, floor, engine } of rows)
    console.log(
      `rate ${rate}: engine p99 - JetStream floor p99 = ${ms(engine.latency.p99 - floor.latency.p99)} ms`,
    );
  const at = rows.find((r) => r.rate === BUDGET.rate);
  const met = at === undefined ? undefined : at.engine.latency.p99 <= BUDGET.p99Ms;
  console.log(
    at === undefined
      ? `budget: ${BUDGET.rate} events/s was not among the rates run`
      : `budget p99 <= ${BUDGET.p99Ms} ms at ${BUDGET.rate} events/s: ${met === true ? 'met' : 'MISSED'} ` +
          `(engine p99 ${ms(at.engine.latency.p99)} ms; JetStream floor ${ms(at.floor.latency.p99)}, core NATS ${ms(at.core.latency.p99)})`,
  );
  const rates = rows.map(({ rate, core, floor, engine }) => ({
    rate,
    published: engine.report.published,
    achievedRate: engine.report.achievedRate,
    core: rounded(core.latency),
    floor: rounded(floor.latency),
    engine: rounded(engine.latency),
    scoreUpdates: engine.latency.count,
    staleUpdates: engine.stale,
    p99OverFloorMs: round2(engine.latency.p99 - floor.latency.p99),
    coresBusy: { core: roundedCpu(core.cpu), floor: roundedCpu(floor.cpu), engine: roundedCpu(engine.cpu) },
  }));
  const budget = { ...BUDGET, met };
  console.log(JSON.stringify({ bench: 'freshness', ...run, budget, rates }));
}
