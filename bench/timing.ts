/**
 * What the per-stage benchmarks share: timing named parts in wall time and in this process's CPU time, repeating a
 * measurement and keeping the median of each part, and plain-text tables. CPU time is the steadier figure on a busy
 * machine (wall time also counts the time other processes hold the cores); on an idle one the two agree, except
 * where the process waits (on nats-server, which is another process). Not a benchmark itself (no `.bench` in the
 * name, so `npm run bench` does not run it).
 */
import type { ChurnModel } from '../src/score/index.js';
import { FEATURE_COUNT } from '../src/state/index.js';

/** Milliseconds spent in each named part of one repetition: wall time as `part`, CPU time as `part cpu`. */
export type Laps = Record<string, number>;

/** The median of `xs` (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Runs `once` `reps` times and returns, for each part it reports, the median of its milliseconds. A full GC runs
 * before each repetition (with --expose-gc) so garbage left by the previous one is not collected on its clock.
 */
export async function medianLaps(reps: number, once: () => Laps | Promise<Laps>): Promise<Laps> {
  const seen: Record<string, number[]> = {};
  for (let r = 0; r < reps; r++) {
    global.gc?.();
    for (const [part, ms] of Object.entries(await once())) (seen[part] ??= []).push(ms);
  }
  return Object.fromEntries(Object.entries(seen).map(([part, ms]) => [part, median(ms)]));
}

/**
 * Adds up the wall and CPU milliseconds spent in named parts of one repetition. The clocks are read on each side of
 * a call (about a microsecond: CPU time is a system call), so time whole loops or batches, not single cheap calls.
 */
export class Stopwatch {
  readonly laps: Laps = {};

  time<T>(part: string, f: () => T): T {
    const [t0, cpu0] = [performance.now(), process.cpuUsage()];
    const out = f();
    this.add(part, t0, cpu0);
    return out;
  }

  async timeAsync<T>(part: string, f: () => Promise<T>): Promise<T> {
    const [t0, cpu0] = [performance.now(), process.cpuUsage()];
    const out = await f();
    this.add(part, t0, cpu0);
    return out;
  }

  private add(part: string, t0: number, cpu0: NodeJS.CpuUsage): void {
    const cpu = process.cpuUsage(cpu0);
    this.laps[part] = (this.laps[part] ?? 0) + performance.now() - t0;
    this.laps[`${part} cpu`] = (this.laps[`${part} cpu`] ?? 0) + (cpu.user + cpu.system) / 1000;
  }
}

/** A whole number with thousands separators. */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '-';
}

/** Prints `rows` under `head`, the first column left-aligned and the others right-aligned, with a rule. */
export function printTable(head: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

/** One stage's cost: a key for the JSON line, a label for the table, wall and CPU nanoseconds per event. */
export interface StageCost {
  readonly key: string;
  readonly label: string;
  readonly ns: number;
  readonly cpuNs: number;
}

/**
 * Makes the {@link StageCost}s of one measurement: `part`'s laps (wall and CPU) per event, less the parts in `minus`
 * (for a stage that can only be timed together with them).
 */
export function perEvent(laps: Laps, events: number) {
  const ns = (part: string) => (laps[part]! * 1e6) / events;
  return (key: string, label: string, part: string, minus: readonly string[] = []): StageCost => ({
    key,
    label,
    ns: minus.reduce((x, m) => x - ns(m), ns(part)),
    cpuNs: minus.reduce((x, m) => x - ns(`${m} cpu`), ns(`${part} cpu`)),
  });
}

/**
 * Prints stages with ns/event (wall and CPU), the events/s the stage alone would allow, and its share of their sum
 * (the stages must not overlap), both from wall time, then a total line. Returns the totals in ns/event.
 */
export function printStageTable(stages: readonly StageCost[]): { ns: number; cpuNs: number } {
  const ns = stages.reduce((sum, s) => sum + s.ns, 0);
  const cpuNs = stages.reduce((sum, s) => sum + s.cpuNs, 0);
  const share = (x: number) => `${((100 * x) / ns).toFixed(1)} %`;
  const rows = stages.map((s) => [s.label, int(s.ns), int(s.cpuNs), int(1e9 / s.ns), share(s.ns)]);
  printTable(
    ['stage', 'ns/event', 'CPU ns/event', 'events/s alone', 'share'],
    [...rows, ['total', int(ns), int(cpuNs), int(1e9 / ns), '100 %']],
  );
  return { ns, cpuNs };
}

/** The same keys with values rounded to whole numbers (for the JSON line). */
export function rounded(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
}

/** The model alone at one batch size: wall and CPU nanoseconds per row. */
export interface ModelCost {
  readonly ns: number;
  readonly cpuNs: number;
}

/**
 * The model alone over the rows of `matrix` (rows × FEATURE_COUNT) cut into batches of `size`, per row, median of
 * `reps`. Small batches are timed on a prefix of `calls` batches: batch 1 over every row could take minutes.
 */
export async function modelCostPerRow(
  model: ChurnModel,
  matrix: Float32Array,
  size: number,
  calls: number,
  reps: number,
): Promise<ModelCost> {
  const rows = Math.floor(Math.min(matrix.length / FEATURE_COUNT, size * calls) / size) * size;
  await model.predict(matrix, size); // the first call of a shape sets up its kernels and buffers
  const laps = await medianLaps(reps, async () => {
    const sw = new Stopwatch();
    await sw.timeAsync('model', async () => {
      for (let r = 0; r < rows; r += size) await model.predict(matrix.subarray(r * FEATURE_COUNT), size);
    });
    return sw.laps;
  });
  return { ns: (laps.model! * 1e6) / rows, cpuNs: (laps['model cpu']! * 1e6) / rows };
}

/** The model alone per batch size (from {@link modelCostPerRow}): ns/row, rows/s, ns/row against batch `ref`'s. */
export function printModelTable(costs: Record<number, ModelCost>, ref: number): void {
  const base = costs[ref]!.ns;
  const rows = Object.entries(costs).map(([b, c]) => [
    b,
    int(c.ns),
    int(c.cpuNs),
    int(1e9 / c.ns),
    (c.ns / base).toFixed(1),
  ]);
  printTable(['model alone, batch', 'ns/row', 'CPU ns/row', 'rows/s', `ns/row ÷ batch ${ref}'s`], rows);
}
