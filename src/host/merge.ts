import { RISK_BANDS, type Aggregates, type SegmentSummary } from '../engine/index.js';
import type { DryRunResult } from '../segment/index.js';

/**
 * Answers over several partitions: each partition's engine knows its own customers only, and these combine the
 * parts into what one engine holding every customer would answer.
 */

/** Segment sizes summed by name (every partition runs the same rules, so the definitions agree). */
export function mergeSegments(parts: readonly (readonly SegmentSummary[])[]): SegmentSummary[] {
  const byName = new Map<string, SegmentSummary>();
  for (const part of parts) {
    for (const s of part) {
      const seen = byName.get(s.name);
      byName.set(s.name, seen === undefined ? s : { ...seen, size: seen.size + s.size });
    }
  }
  return [...byName.values()];
}

/** Matches and evaluated summed; the sample filled from the partitions in order, up to `sampleSize`. */
export function mergeDryRuns(parts: readonly DryRunResult[], sampleSize: number): DryRunResult {
  const sample: string[] = [];
  for (const p of parts) for (const id of p.sample) if (sample.length < sampleSize) sample.push(id);
  return {
    matches: parts.reduce((n, p) => n + p.matches, 0),
    evaluated: parts.reduce((n, p) => n + p.evaluated, 0),
    sample,
  };
}

function addCounts<K extends string>(parts: readonly Readonly<Record<K, number>>[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const part of parts) {
    for (const [k, n] of Object.entries(part) as [K, number][]) out[k] = (out[k] ?? 0) + n;
  }
  return out;
}

/**
 * The aggregates of every customer: counts summed, the mean CLV weighted by customers, the retention rate computed
 * again from the summed counts. Not ready (passes 0) until every partition completed a pass; as of the earliest.
 */
export function mergeAggregates(parts: readonly Aggregates[]): Aggregates {
  const first = parts[0];
  if (first === undefined || parts.length === 1) return first ?? emptyAggregates();
  const customers = parts.reduce((n, p) => n + p.customers, 0);
  const retention = {
    start: parts.reduce((n, p) => n + p.retention.start, 0),
    end: parts.reduce((n, p) => n + p.retention.end, 0),
    acquired: parts.reduce((n, p) => n + p.retention.acquired, 0),
  };
  return {
    asOfMs: Math.min(...parts.map((p) => p.asOfMs)),
    passes: Math.min(...parts.map((p) => p.passes)),
    customers,
    retentionRate:
      retention.start === 0 ? Number.NaN : ((retention.end - retention.acquired) / retention.start) * 100,
    retention,
    averageClv:
      customers === 0 ? 0 : parts.reduce((sum, p) => sum + p.averageClv * p.customers, 0) / customers,
    loyaltyPointsOutstanding: parts.reduce((n, p) => n + p.loyaltyPointsOutstanding, 0),
    stages: addCounts(parts.map((p) => p.stages)),
    risk: addCounts(parts.map((p) => p.risk)),
  };
}

function emptyAggregates(): Aggregates {
  return {
    asOfMs: 0,
    passes: 0,
    customers: 0,
    retentionRate: Number.NaN,
    retention: { start: 0, end: 0, acquired: 0 },
    averageClv: 0,
    loyaltyPointsOutstanding: 0,
    stages: {},
    risk: Object.fromEntries(RISK_BANDS.map((b) => [b, 0])) as Aggregates['risk'],
  };
}
