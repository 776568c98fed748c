import { beforeAll, afterAll, describe, it, expect } from 'vitest';
import { selectBackend } from '../../src/score/backend.js';
import { loadChurnModel, type LoadedChurnModel } from '../../src/score/churn-model.js';
import { engagementScore } from '../../src/score/engagement.js';
import { createScorer } from '../../src/score/scorer.js';
import { lifecycleStageIndex } from '../../src/score/stage.js';
import type { ChurnModel } from '../../src/score/types.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';
import { manifestFor, mlp, recordingLog, rng, SOME_FEATURES, tempDir, writeModelDir } from './fixtures.js';

/** A real loaded model behind a wrapper that counts predict calls and the rows they carried. */
function counting(model: ChurnModel) {
  const calls: number[] = [];
  const wrapped: ChurnModel = {
    name: model.name,
    version: model.version,
    featureNames: model.featureNames,
    predict: (features, rows) => {
      calls.push(rows);
      return model.predict(features, rows);
    },
    dispose: () => model.dispose(),
  };
  return { wrapped, calls };
}

/** Deterministic per-slot feature vectors: slot s always gets the same values. */
function featuresOf(slot: number, out: Float32Array, offset: number): void {
  const next = rng(slot + 1);
  for (let j = 0; j < FEATURE_COUNT; j++) out[offset + j] = Math.floor(next() * 40);
}

function vectorOf(slot: number): Float32Array {
  const v = new Float32Array(FEATURE_COUNT);
  featuresOf(slot, v, 0);
  return v;
}

let a: LoadedChurnModel;
let b: LoadedChurnModel;
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

beforeAll(async () => {
  await selectBackend(recordingLog());
  for (const [version, hidden] of [
    ['a', [8]],
    ['b', [4, 4]],
  ] as const) {
    const t = await tempDir();
    dirs.push(t);
    const model = mlp(SOME_FEATURES.length, hidden);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES, { version }));
    model.dispose();
  }
  a = await loadChurnModel(dirs[0]!.dir);
  b = await loadChurnModel(dirs[1]!.dir);
});

afterAll(async () => {
  a.dispose();
  b.dispose();
  for (const d of dirs) await d[Symbol.asyncDispose]();
});

describe('createScorer', () => {
  it('scores a batch with ONE predict call and columnar results that match the per-row functions', async () => {
    const { wrapped, calls } = counting(a);
    const scorer = createScorer({ model: wrapped, featuresOf, initialRows: 16 });
    const slots = Array.from({ length: 300 }, (_, i) => i * 7); // larger than initialRows: the matrix grows
    const batch = await scorer.score(slots);

    expect(calls).toEqual([300]);
    expect(batch.slots).toBe(slots);
    expect(batch.features).toHaveLength(300 * FEATURE_COUNT);
    expect([batch.modelName, batch.modelVersion]).toEqual([a.name, 'a']);
    const direct = await a.predict(batch.features, 300);
    expect(Array.from(batch.churnRisk)).toEqual(Array.from(direct));
    for (let i = 0; i < slots.length; i++) {
      const v = vectorOf(slots[i]!);
      expect(batch.features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)).toEqual(v);
      expect(batch.engagement[i]).toBe(engagementScore(v, 0));
      expect(batch.stage[i]).toBe(lifecycleStageIndex(v, 0, batch.churnRisk[i]!));
    }
  });

  it('scores an empty batch without failing', async () => {
    const { wrapped } = counting(a);
    const batch = await createScorer({ model: wrapped, featuresOf }).score([]);
    expect([batch.churnRisk.length, batch.engagement.length, batch.stage.length]).toEqual([0, 0, 0]);
  });

  it('serialises overlapping batches so a resolved batch still shows its own features', async () => {
    const scorer = createScorer({ model: a, featuresOf, initialRows: 4 });
    const first = scorer.score([1, 2, 3]);
    const second = scorer.score([10, 20, 30]);
    const got = await first;
    expect(got.features.subarray(0, FEATURE_COUNT)).toEqual(vectorOf(1));
    expect((await second).features.subarray(0, FEATURE_COUNT)).toEqual(vectorOf(10));
  });

  it('keeps going after a failed batch', async () => {
    let fail = true;
    const flaky: ChurnModel = {
      name: a.name,
      version: a.version,
      featureNames: a.featureNames,
      predict: (f, rows) => (fail ? Promise.reject(new Error('boom')) : a.predict(f, rows)),
      dispose: () => undefined,
    };
    const scorer = createScorer({ model: flaky, featuresOf });
    await expect(scorer.score([1])).rejects.toThrow('boom');
    fail = false;
    expect((await scorer.score([1])).churnRisk).toHaveLength(1);
  });

  it('swaps models between batches: the batch in flight ends on the old one, the next uses the new', async () => {
    const ca = counting(a);
    const cb = counting(b);
    const scorer = createScorer({ model: ca.wrapped, featuresOf });
    const inFlight = scorer.score([1, 2]);
    const old = scorer.swapModel(cb.wrapped);
    expect(scorer.model).toBe(cb.wrapped);
    const next = await scorer.score([1, 2]);

    expect((await inFlight).modelVersion).toBe('a');
    expect(await old).toBe(ca.wrapped);
    expect(next.modelVersion).toBe('b');
    expect([ca.calls, cb.calls]).toEqual([[2], [2]]);
    expect(Array.from(next.churnRisk)).toEqual(Array.from(await b.predict(next.features, 2)));
  });
});
