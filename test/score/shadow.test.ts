import { Registry } from 'prom-client';
import { beforeAll, describe, it, expect } from 'vitest';
import { createModelMetrics } from '../../src/metrics/model-metrics.js';
import { selectBackend } from '../../src/score/backend.js';
import { loadChurnModel, type LoadedChurnModel } from '../../src/score/churn-model.js';
import { createShadowScorer, SHADOW_BINS } from '../../src/score/shadow.js';
import {
  manifestFor,
  mlp,
  randomMatrix,
  recordingLog,
  SOME_FEATURES,
  tempDir,
  writeModelDir,
} from './fixtures.js';

beforeAll(async () => {
  await selectBackend(recordingLog());
});

/** A real model with random weights (seeded when `seed` is given), saved and loaded from disk as `version`. */
async function model(dir: string, version: string, seed?: number): Promise<LoadedChurnModel> {
  const net = mlp(SOME_FEATURES.length, [8], 1, 'sigmoid', seed);
  await writeModelDir(dir, net, manifestFor(SOME_FEATURES, { version }));
  return loadChurnModel(dir);
}

/** The slow obvious statistics over the given score pairs. */
function reference(champion: ArrayLike<number>, shadow: ArrayLike<number>, threshold = 0.5) {
  const bins = (p: number) => Math.min(SHADOW_BINS - 1, Math.floor(p * SHADOW_BINS));
  const c = new Array<number>(SHADOW_BINS).fill(0);
  const s = new Array<number>(SHADOW_BINS).fill(0);
  let agree = 0;
  for (let i = 0; i < champion.length; i++) {
    c[bins(champion[i]!)]!++;
    s[bins(shadow[i]!)]!++;
    if (champion[i]! >= threshold === shadow[i]! >= threshold) agree++;
  }
  const n = champion.length;
  let psi = 0;
  for (let b = 0; b < SHADOW_BINS; b++) {
    const pc = c[b]! / n + 1e-4;
    const ps = s[b]! / n + 1e-4;
    psi += (ps - pc) * Math.log(ps / pc);
  }
  return { c, s, agreement: agree / n, psi };
}

describe('createShadowScorer', () => {
  it('identical models: agreement 1, PSI 0, and the shadow scores equal the champion scores', async () => {
    await using t = await tempDir();
    const champ = await model(t.dir, '1');
    const shadow = createShadowScorer({ model: champ });
    const m = randomMatrix(300, 7);
    const p = await champ.predict(m, 300);
    const out = await shadow.score(m, 300, p);
    expect(out.kind).toBe('scored');
    if (out.kind !== 'scored') return;
    expect(Array.from(out.scores)).toEqual(Array.from(p));
    expect(out.agreed).toBe(300);
    const st = shadow.stats();
    expect(st).toMatchObject({ rows: 300, totalRows: 300, agreement: 1, psi: 0 });
    expect(st.championBins).toEqual(st.shadowBins);
    expect(st.championBins.reduce((a, b) => a + b, 0)).toBe(300);
    champ.dispose();
  });

  it('different models: agreement and PSI match a direct computation, PSI > 0, and reach the metrics', async () => {
    await using a = await tempDir();
    await using b = await tempDir();
    // Seeded: with fresh random weights, one CI run measured PSI 0, i.e. both models put the rows in the same bins.
    const champ = await model(a.dir, '1', 1);
    const challenger = await model(b.dir, '2', 2);
    const registry = new Registry();
    const metrics = createModelMetrics(registry);
    const shadow = createShadowScorer({ model: challenger, metrics });
    const m = randomMatrix(500, 11, 40);
    const p = await champ.predict(m, 500);
    const out = await shadow.score(m, 500, p);
    if (out.kind !== 'scored') throw new Error(`shadow ${out.kind}`);
    const want = reference(p, out.scores);
    const st = shadow.stats();
    expect(st.championBins).toEqual(want.c);
    expect(st.shadowBins).toEqual(want.s);
    expect(st.agreement).toBeCloseTo(want.agreement, 12);
    expect(st.psi).toBeCloseTo(want.psi, 9);
    expect(st.psi).toBeGreaterThan(0);
    // As Prometheus reads it.
    const text = await registry.metrics();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('churnflow_shadow_psi')).toBeCloseTo(want.psi, 9);
    expect(value('churnflow_shadow_agreement_ratio')).toBeCloseTo(want.agreement, 9);
    expect(value('churnflow_shadow_rows_total')).toBe(500);
    expect(text).toContain('churnflow_model_info{name="test-mlp",version="2",role="shadow"} 1');
    const share = /churnflow_shadow_score_share\{role="shadow",bin="0.0"\} (\S+)/.exec(text)?.[1];
    expect(Number(share)).toBeCloseTo(want.s[0]! / 500, 9);
    champ.dispose();
    challenger.dispose();
  });

  it('keeps a sliding window of the last windowRows rows', async () => {
    await using a = await tempDir();
    await using b = await tempDir();
    const champ = await model(a.dir, '1');
    const shadow = createShadowScorer({ model: await model(b.dir, '2'), windowRows: 100, threshold: 0.4 });
    const champs: number[] = [];
    const shadows: number[] = [];
    for (const seed of [1, 2, 3]) {
      const m = randomMatrix(64, seed, 30);
      const p = await champ.predict(m, 64);
      const out = await shadow.score(m, 64, p);
      if (out.kind !== 'scored') throw new Error(`shadow ${out.kind}`);
      champs.push(...p);
      shadows.push(...out.scores);
    }
    const want = reference(champs.slice(-100), shadows.slice(-100), 0.4);
    const st = shadow.stats();
    expect(st).toMatchObject({ rows: 100, totalRows: 192 });
    expect(st.championBins).toEqual(want.c);
    expect(st.shadowBins).toEqual(want.s);
    expect(st.agreement).toBeCloseTo(want.agreement, 12);
    champ.dispose();
  });

  it('copies its inputs at once, skips batches while one runs, and reports failures as values', async () => {
    await using a = await tempDir();
    const champ = await model(a.dir, '1');
    const metrics = createModelMetrics(new Registry());
    const shadow = createShadowScorer({ model: champ, metrics });
    const m = randomMatrix(50, 5);
    const p = await champ.predict(m, 50);
    const first = shadow.score(m, 50, p);
    // The caller's reused matrix is refilled for the next batch right away: the shadow must not see it.
    m.fill(1e6);
    const second = await shadow.score(m, 50, p);
    expect(second).toEqual({ kind: 'skipped', reason: 'busy' });
    const out = await first;
    if (out.kind !== 'scored') throw new Error(`shadow ${out.kind}`);
    expect(Array.from(out.scores)).toEqual(Array.from(p));
    expect((await metrics.shadowSkipped.get()).values).toEqual([
      expect.objectContaining({ labels: { reason: 'busy' }, value: 50 }),
    ]);
    const bad = await shadow.score(new Float32Array(3), 50, p);
    expect(bad.kind).toBe('failed');
    champ.dispose();
  });

  it('swapModel resets the comparison and resolves to the old model', async () => {
    await using a = await tempDir();
    await using b = await tempDir();
    const champ = await model(a.dir, '1');
    const next = await model(b.dir, '2');
    const shadow = createShadowScorer({ model: champ });
    const m = randomMatrix(20, 9);
    await shadow.score(m, 20, await champ.predict(m, 20));
    expect(shadow.stats().rows).toBe(20);
    expect(await shadow.swapModel(next)).toBe(champ);
    expect(shadow.stats()).toMatchObject({ rows: 0, totalRows: 0, modelVersion: '2' });
    expect(Number.isNaN(shadow.stats().agreement)).toBe(true);
    champ.dispose();
    next.dispose();
  });
});
