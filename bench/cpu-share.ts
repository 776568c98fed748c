/**
 * Where a machine's CPU went during a measured phase, from Linux's /proc: the cores busy in all (every process,
 * /proc/stat) and the cores each named process used (/proc/<pid>/stat). It tells a latency that the machine could
 * not avoid (both cores busy) from one the measured process made on its own. Elsewhere than Linux it reads NaN.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Busy and total ticks of all cores since boot (idle and iowait are not busy). */
function machineTicks(): { busy: number; total: number } {
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice; steal counts as busy:
  // the hypervisor gave the core to someone else).
  const cpu =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1, 9).map(Number) ?? [];
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

/** `read()`, or NaN where /proc cannot be read (not Linux, or the process has exited). */
function orNaN<T>(read: () => T): T | number {
  try {
    return read();
  } catch {
    return Number.NaN;
  }
}

/** Starts watching; the returned function gives the cores used since (NaN where /proc cannot be read). */
export function watchCpu(pids: Readonly<Record<string, number>>): () => CpuShare {
  const read = () => ({
    machine: orNaN(machineTicks),
    processes: Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, orNaN(() => processTicks(pid))]),
    ),
  });
  const start = read();
  const t0 = performance.now();
  return () => {
    const end = read();
    const seconds = (performance.now() - t0) / 1000;
    const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
    const [m0, m1] = [start.machine, end.machine];
    // Busy ticks over the window, in cores (all cores' ticks add up, so this is already a count of cores).
    const machine = typeof m0 === 'number' || typeof m1 === 'number' ? Number.NaN : cores(m1.busy - m0.busy);
    return {
      machine,
      processes: Object.fromEntries(
        Object.keys(pids).map((name) => [
          name,
          cores(Number(end.processes[name] ?? NaN) - Number(start.processes[name] ?? NaN)),
        ]),
      ),
    };
  };
}
