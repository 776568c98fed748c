import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it, expect } from 'vitest';
import { selectBackend } from '../../src/score/backend.js';
import { loadChurnModel } from '../../src/score/churn-model.js';
import { MODEL_JSON, WEIGHTS_BIN } from '../../src/score/model-files.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';
import {
  manifestFor,
  mlp,
  randomMatrix,
  recordingLog,
  referencePredict,
  SOME_FEATURES,
  tempDir,
  writeModelDir,
} from './fixtures.js';

beforeAll(async () => {
  await selectBackend(recordingLog());
});

function expectClose(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
}

describe('loadChurnModel', () => {
  it('predicts what the model predicts on the gathered, normalised columns (std 0 read as 1)', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [8, 4]);
    const manifest = manifestFor(SOME_FEATURES); // std of column 1 is 0
    await writeModelDir(t.dir, model, manifest);

    const churn = await loadChurnModel(t.dir);
    expect(churn.name).toBe(manifest.name);
    expect(churn.version).toBe(manifest.version);
    expect(churn.featureNames).toEqual(SOME_FEATURES);

    // Different batch sizes in turn: the gather buffer grows, then is reused for a smaller batch.
    for (const [rows, seed] of [
      [3, 1],
      [257, 2],
      [5, 3],
    ] as const) {
      const m = randomMatrix(rows, seed);
      const got = await churn.predict(m, rows);
      expectClose(got, referencePredict(model, manifest, m, rows));
      for (const p of got) expect(p >= 0 && p <= 1).toBe(true);
    }
    expect(await churn.predict(new Float32Array(0), 0)).toHaveLength(0);
    // No tensor outlives a call: a leak of one tensor per batch would exhaust memory in hours.
    const before = tf.memory().numTensors;
    await churn.predict(randomMatrix(64, 4), 64);
    expect(tf.memory().numTensors).toBe(before);
    churn.dispose();
    model.dispose();
  });

  it('reads only the first `rows` rows of a larger matrix', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [4]);
    const manifest = manifestFor(SOME_FEATURES);
    await writeModelDir(t.dir, model, manifest);
    const churn = await loadChurnModel(t.dir);
    const big = randomMatrix(10, 9);
    const got = await churn.predict(big, 4);
    expectClose(got, referencePredict(model, manifest, big.subarray(0, 4 * FEATURE_COUNT), 4));
    await expect(churn.predict(big, 11)).rejects.toThrow(RangeError);
    churn.dispose();
    model.dispose();
  });

  it('clamps outputs to [0, 1]', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [], 1, 'linear');
    const [kernel] = model.getWeights();
    model.setWeights([tf.zerosLike(kernel!), tf.tensor1d([5])]);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    const high = await loadChurnModel(t.dir);
    expect(Array.from(await high.predict(randomMatrix(2, 1), 2))).toEqual([1, 1]);
    model.setWeights([tf.zerosLike(kernel!), tf.tensor1d([-5])]);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    const low = await loadChurnModel(t.dir);
    expect(Array.from(await low.predict(randomMatrix(2, 1), 2))).toEqual([0, 0]);
    high.dispose();
    low.dispose();
    model.dispose();
  });

  it('refuses to return NaN: a model with NaN weights throws MODEL_INVALID naming model.json', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [], 1);
    const [kernel] = model.getWeights();
    model.setWeights([tf.fill(kernel!.shape, NaN), tf.tensor1d([0])]);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    const churn = await loadChurnModel(t.dir);
    await expect(churn.predict(randomMatrix(2, 1), 2)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      context: { file: path.join(t.dir, MODEL_JSON) },
    });
    churn.dispose();
    model.dispose();
  });

  it('refuses a model whose input width differs from the manifest features, naming model.json', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length + 1, [4]);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    const file = path.join(t.dir, MODEL_JSON);
    await expect(loadChurnModel(t.dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', context: { file } });
    await expect(loadChurnModel(t.dir)).rejects.toThrow(`${SOME_FEATURES.length} manifest features`);
    model.dispose();
  });

  it('refuses a model with more than one output per row', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [4], 2);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    await expect(loadChurnModel(t.dir)).rejects.toThrow(/not one probability per row/);
    model.dispose();
  });

  it('checks the manifest before the model: an unknown feature is named even if the weights are broken', async () => {
    await using t = await tempDir();
    const model = mlp(2, [2]);
    await writeModelDir(t.dir, model, manifestFor(['events_7d', 'mood_ring_colour']));
    await writeFile(
      path.join(t.dir, WEIGHTS_BIN),
      (await readFile(path.join(t.dir, WEIGHTS_BIN))).subarray(0, 3),
    );
    await expect(loadChurnModel(t.dir)).rejects.toMatchObject({ context: { key: 'mood_ring_colour' } });
    model.dispose();
  });

  it('refuses a truncated weights file, naming it', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [3]);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    const bin = path.join(t.dir, WEIGHTS_BIN);
    await writeFile(bin, (await readFile(bin)).subarray(0, 10));
    await expect(loadChurnModel(t.dir)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      context: { file: bin },
    });
    model.dispose();
  });
});
