import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RISK_BANDS, type Aggregates } from '../../src/engine/index.js';
import { mergeAggregates, mergeDryRuns, mergeSegments } from '../../src/host/index.js';
import { partitionGauges } from '../../src/host/partition-gauges.js';
import { createEngineMetrics } from '../../src/metrics/index.js';
import { createSnapshotMetrics } from '../../src/snapshot/index.js';

async function scrape(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
}

describe('gauges several partitions set in one process', () => {
  it('sum customers, take the slowest watermark and the oldest snapshot, and forget a partition handed over', async () => {
    const registry = new Registry();
    const base = { metrics: createEngineMetrics(registry), snapshotMetrics: createSnapshotMetrics(registry) };
    const gauges = partitionGauges(base);
    const [p0, p1] = [gauges.viewFor(0), gauges.viewFor(1)];
    p0.metrics.customers.set(100);
    p1.metrics.customers.set(40);
    p0.metrics.watermarkSeconds.set(2_000);
    p1.metrics.watermarkSeconds.set(1_500);
    p0.metrics.segmentCustomers.set({ segment: 'vip' }, 3);
    p1.metrics.segmentCustomers.set({ segment: 'vip' }, 4);
    p1.metrics.segmentCustomers.set({ segment: 'lapsed' }, 9);
    p0.snapshotMetrics.lastSeconds.set(1_000);
    p1.snapshotMetrics.lastSeconds.set(900);
    expect(await scrape(registry, 'churnflow_customers')).toEqual(['churnflow_customers 140']);
    expect(await scrape(registry, 'churnflow_watermark_seconds')).toEqual([
      'churnflow_watermark_seconds 1500',
    ]);
    expect(await scrape(registry, 'churnflow_segment_customers')).toEqual([
      'churnflow_segment_customers{segment="vip"} 7',
      'churnflow_segment_customers{segment="lapsed"} 9',
    ]);
    expect(await scrape(registry, 'churnflow_snapshot_last_timestamp_seconds')).toEqual([
      'churnflow_snapshot_last_timestamp_seconds 900',
    ]);
    gauges.drop(1);
    expect(await scrape(registry, 'churnflow_customers')).toEqual(['churnflow_customers 100']);
    expect(await scrape(registry, 'churnflow_watermark_seconds')).toEqual([
      'churnflow_watermark_seconds 2000',
    ]);
    // Nobody holds "lapsed" any more: it leaves the exposition instead of lingering at its last value.
    expect(await scrape(registry, 'churnflow_segment_customers')).toEqual([
      'churnflow_segment_customers{segment="vip"} 3',
    ]);
  });
});

const aggregates = (
  customers: number,
  clv: number,
  start: number,
  end: number,
  acquired: number,
): Aggregates => ({
  asOfMs: 1_000 + customers,
  passes: 2,
  customers,
  retentionRate: start === 0 ? Number.NaN : ((end - acquired) / start) * 100,
  retention: { start, end, acquired },
  averageClv: clv,
  loyaltyPointsOutstanding: customers * 10,
  stages: { repeat: customers - 1, churned: 1 },
  risk: Object.fromEntries(RISK_BANDS.map((b, i) => [b, i === 0 ? customers : 0])) as Aggregates['risk'],
});

describe('answers merged over partitions', () => {
  it('weigh the mean CLV by customers and compute the retention rate again from the summed counts', () => {
    const merged = mergeAggregates([aggregates(100, 50, 80, 90, 20), aggregates(300, 10, 200, 210, 30)]);
    expect(merged.customers).toBe(400);
    expect(merged.averageClv).toBeCloseTo((100 * 50 + 300 * 10) / 400, 12);
    expect(merged.retention).toEqual({ start: 280, end: 300, acquired: 50 });
    expect(merged.retentionRate).toBeCloseTo(((300 - 50) / 280) * 100, 12);
    expect(merged.stages).toEqual({ repeat: 398, churned: 2 });
    expect(merged.risk[RISK_BANDS[0]]).toBe(400);
    expect(merged.asOfMs).toBe(1_100);
    expect(
      mergeAggregates([aggregates(1, 1, 1, 1, 0), { ...aggregates(1, 1, 1, 1, 0), passes: 0 }]).passes,
    ).toBe(0);
  });

  it('sum segment sizes by name and cap the merged dry-run sample', () => {
    const seg = (name: string, size: number) => ({
      name,
      description: '',
      enter: 'x',
      exit: 'y',
      minDwellMs: 0,
      size,
    });
    expect(mergeSegments([[seg('a', 1), seg('b', 2)], [seg('a', 5)]]).map((s) => [s.name, s.size])).toEqual([
      ['a', 6],
      ['b', 2],
    ]);
    expect(
      mergeDryRuns(
        [
          { matches: 2, evaluated: 10, sample: ['x', 'y'] },
          { matches: 3, evaluated: 7, sample: ['z', 'w', 'v'] },
        ],
        4,
      ),
    ).toEqual({ matches: 5, evaluated: 17, sample: ['x', 'y', 'z', 'w'] });
  });
});
