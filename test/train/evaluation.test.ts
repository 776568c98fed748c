import { describe, it, expect } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Prng } from '../../src/simulate/prng.js';
import {
  calibrationTable,
  evaluateHoldout,
  metricsTable,
  nextModelVersion,
  rocAuc,
} from '../../src/train/index.js';

function sample(n: number, seed: number): { p: Float64Array; y: Uint8Array } {
  const rng = new Prng(seed);
  const p = Float64Array.from({ length: n }, () => rng.float() ** 3);
  const y = Uint8Array.from(p, (q) => (rng.chance(q) ? 1 : 0));
  return { p, y };
}

describe('calibrationTable', () => {
  it('puts every row in one of 10 bins, so the counts sum to the rows, with mean and observed rate per bin', () => {
    const { p, y } = sample(5000, 1);
    const table = calibrationTable(p, y);
    expect(table).toHaveLength(10);
    expect(table.reduce((n, b) => n + b.count, 0)).toBe(5000);
    table.forEach((b, i) => {
      expect([b.from, b.to]).toEqual([i / 10, (i + 1) / 10]);
      if (b.count === 0) return;
      expect(b.meanPredicted).toBeGreaterThanOrEqual(b.from);
      expect(b.meanPredicted).toBeLessThanOrEqual(b.to);
      // Labels drawn with probability p: the observed rate tracks the mean prediction.
      if (b.count > 200) expect(Math.abs(b.observedRate - b.meanPredicted)).toBeLessThan(0.08);
    });
  });

  it('bins the edges: 0 in the first bin, 1 in the last, out-of-range values clipped', () => {
    const table = calibrationTable([0, 1, 1.5, -0.2, 0.1], [0, 1, 1, 0, 0]);
    expect(table.map((b) => b.count)).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(table[9]).toMatchObject({ meanPredicted: 1, observedRate: 1 });
  });
});

describe('evaluateHoldout', () => {
  it('scores the model and the baseline on the same rows', () => {
    const { p, y } = sample(2000, 2);
    const noisy = Float64Array.from(p, (q, i) => (i % 2 === 0 ? q : 1 - q));
    const ev = evaluateHoldout(p, noisy, y);
    expect(ev.holdoutRows).toBe(2000);
    expect(ev.positiveRate).toBeCloseTo(y.reduce((a, b) => a + b, 0) / 2000, 5);
    expect(ev.model.rocAuc).toBeCloseTo(rocAuc(p, y), 5);
    expect(ev.baseline?.name).toBe('bgnbd');
    expect(ev.model.rocAuc).toBeGreaterThan(ev.baseline!.rocAuc);
    const table = metricsTable(ev);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain(`| model (MLP) | ${ev.model.rocAuc.toFixed(4)} |`);
  });

  it('leaves the baseline out when there is none, and reports 0 for a metric one class makes undefined', () => {
    const ev = evaluateHoldout([0.2, 0.4], undefined, [0, 0]);
    expect(ev.baseline).toBeUndefined();
    expect(ev.model.rocAuc).toBe(0);
  });
});

describe('nextModelVersion', () => {
  it('is one more than the highest whole-number directory, 1 when there is none', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'churnflow-versions-'));
    try {
      expect(await nextModelVersion(path.join(dir, 'missing'))).toBe('1');
      for (const v of ['1', '9', '10', '11-rc', 'latest']) await mkdir(path.join(dir, v));
      await writeFile(path.join(dir, '99'), 'a file, not a version');
      expect(await nextModelVersion(dir)).toBe('11');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
