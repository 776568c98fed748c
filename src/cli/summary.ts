import type { Engine, SegmentSummary } from '../engine/index.js';
import { STAGES } from '../score/types.js';

const RISK_BANDS = ['<0.2', '0.2-0.4', '0.4-0.6', '0.6-0.8', '>=0.8'] as const;

/** A one-screen picture of the engine: rates, customers, dead letters, risk bands and stage counts. */
export interface Summary {
  readonly eventsPerSec: number;
  readonly updatesPerSec: number;
  readonly customers: number;
  readonly deadLetters: number;
  readonly risk: Record<(typeof RISK_BANDS)[number], number>;
  readonly stages: Record<string, number>;
  /** Members per segment (non-empty ones). */
  readonly segments: Record<string, number>;
}

/** What a summary reads: the engines of the partitions held, their totals and segments. */
export interface SummarySource {
  readonly totals: { readonly events: number; readonly scoreUpdates: number; readonly deadLetters: number };
  engines(): readonly Engine[];
  segments(): SegmentSummary[];
}

/**
 * Reads the engines' columnar state (one pass over the published scores) into a {@link Summary}; `prev` and
 * `elapsedMs` give rates since the previous call.
 */
export function summarize(
  source: SummarySource,
  prev: { events: number; scoreUpdates: number },
  elapsedMs: number,
): Summary {
  const risk = Object.fromEntries(RISK_BANDS.map((b) => [b, 0])) as Record<
    (typeof RISK_BANDS)[number],
    number
  >;
  const stageCounts = new Array<number>(STAGES.length).fill(0);
  let customers = 0;
  for (const engine of source.engines()) {
    customers += engine.store.size;
    const n = Math.min(engine.store.slotEnd, engine.published.capacity);
    for (let slot = 0; slot < n; slot++) {
      const s = engine.published.stage(slot);
      if (s < 0 || !engine.store.isLive(slot)) continue;
      stageCounts[s] = (stageCounts[s] as number) + 1;
      const band = RISK_BANDS[
        Math.min(4, Math.floor(engine.published.risk(slot) * 5))
      ] as (typeof RISK_BANDS)[number];
      risk[band]++;
    }
  }
  const stages: Record<string, number> = {};
  STAGES.forEach((name, i) => {
    if ((stageCounts[i] as number) > 0) stages[name] = stageCounts[i] as number;
  });
  const perSec = (d: number) => Math.round((d * 1000) / Math.max(1, elapsedMs));
  return {
    eventsPerSec: perSec(source.totals.events - prev.events),
    updatesPerSec: perSec(source.totals.scoreUpdates - prev.scoreUpdates),
    customers,
    deadLetters: source.totals.deadLetters,
    risk,
    stages,
    segments: Object.fromEntries(
      source
        .segments()
        .filter((sg) => sg.size > 0)
        .map((sg) => [sg.name, sg.size]),
    ),
  };
}

/** Renders a summary as one console line. */
export function formatSummary(s: Summary): string {
  const risk = Object.entries(s.risk)
    .map(([b, n]) => `${b}:${n}`)
    .join(' ');
  const segments = Object.entries(s.segments)
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
  const stages = Object.entries(s.stages)
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
  return (
    `events/s ${s.eventsPerSec} | updates/s ${s.updatesPerSec} | customers ${s.customers} | ` +
    `dead letters ${s.deadLetters}\n  risk ${risk}\n  stages ${stages}\n  segments ${segments}`
  );
}

/**
 * Hands a summary to `print` every `everyMs` until the returned function is called. The CLI prints it as text on a
 * terminal and as a structured log line otherwise, so log collectors only ever see JSON on stdout.
 */
export function startSummaryPrinter(
  source: SummarySource,
  everyMs: number,
  print: (s: Summary) => void,
): () => void {
  if (everyMs <= 0) return () => undefined;
  let prev = { events: 0, scoreUpdates: 0 };
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    print(summarize(source, prev, now - last));
    prev = { events: source.totals.events, scoreUpdates: source.totals.scoreUpdates };
    last = now;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
