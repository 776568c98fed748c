/**
 * Where a machine's CPU went during a measured phase, from Linux's /proc: the cores busy in all (every process,
 * /proc/stat) and the cores each named process used (/proc/<pid>/stat). It tells a latency that the machine could
 * not avoid (both cores busy) from one the measured process made on its own. Elsewhere than Linux it reads NaN.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Busy and total ticks of all cores since boot (idle and iowait are not busy). */
function machineTicks(): { busy: number; total: number } {
  const cpu =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/** User + system ticks of process `pid` (fields 14 and 15 of /proc/<pid>/stat, after the command's parentheses). */
function processTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Cores in use over the phase: `machine` in all, and each named process's share. */
export interface CpuShare {
  readonly machine: number;
  readonly processes: Readonly<Record<string, number>>;
}

/** Starts watching; the returned function gives the cores used since (NaN where /proc cannot be read). */
export function watchCpu(pids: Readonly<Record<string, number>>): () => CpuShare {
  const read = () => {
    try {
      return {
        machine: machineTicks(),
        processes: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processTicks(pid)])),
      };
    } catch {
      return undefined;
    }
  };
  const start = read();
  const t0 = performance.now();
  return () => {
    const end = read();
    const seconds = (performance.now() - t0) / 1000;
    if (start === undefined || end === undefined) return { machine: Number.NaN, processes: {} };
    const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
    const cpuCount = (end.machine.total - start.machine.total) / TICKS_PER_SECOND / seconds;
    const busyShare = (end.machine.busy - start.machine.busy) / (end.machine.total - start.machine.total);
    return {
      machine: busyShare * cpuCount,
      processes: Object.fromEntries(
        Object.keys(pids).map((name) => [
          name,
          cores((end.processes[name] ?? 0) - (start.processes[name] ?? 0)),
        ]),
      ),
    };
  };
}
