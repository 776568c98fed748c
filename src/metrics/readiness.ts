import { Gauge, type Registry } from 'prom-client';
import { NOT_READY_REASONS, type NotReadyReason } from '../contract/codes.js';

/** One reason the engine is not ready: a code from {@link NOT_READY_REASONS} and a detail for people. */
export interface NotReady {
  readonly reason: NotReadyReason;
  /** What exactly, with figures (e.g. `84740 messages pending, more than 10000`). */
  readonly detail: string;
}

/** What `/readyz` answers, as JSON (200 when `ready`, else 503). */
export interface ReadinessReport {
  readonly ready: boolean;
  /** One line per reason, `<reason>: <detail>`, for people reading the probe's output. */
  readonly reasons: readonly string[];
  /** The same as codes with details, for programs: branch on `reason`, never on the text. */
  readonly notReady: readonly NotReady[];
}

/** The report for a list of problems (none: ready). */
export function readinessReport(problems: readonly NotReady[]): ReadinessReport {
  return {
    ready: problems.length === 0,
    reasons: problems.map((p) => `${p.reason}: ${p.detail}`),
    notReady: problems,
  };
}

/** Readiness answered from one probe; see {@link createReadiness}. */
export interface Readiness {
  /** Asks the probe now and reports. */
  check(): ReadinessReport;
}

const REASONS = Object.keys(NOT_READY_REASONS) as NotReadyReason[];

/**
 * Readiness from `probe` (which lists what is wrong now), exported as the gauge `churnflow_not_ready{reason}`
 * on `registry`: every reason of the catalogue from the start at 0, 1 while it holds. The gauge asks the probe at
 * each scrape, so it is true even when nobody calls `/readyz`, and alert rules can name the reason.
 */
export function createReadiness(registry: Registry, probe: () => readonly NotReady[]): Readiness {
  const gauge = new Gauge({
    name: 'churnflow_not_ready',
    help: 'Why /readyz is 503: 1 while the reason holds, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      set(probe());
    },
  });
  const set = (problems: readonly NotReady[]): void => {
    for (const reason of REASONS) gauge.set({ reason }, problems.some((p) => p.reason === reason) ? 1 : 0);
  };
  set([]);
  return {
    check() {
      const problems = probe();
      set(problems);
      return readinessReport(problems);
    },
  };
}
