import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it, expect } from 'vitest';
import { selectBackend } from '../../src/score/backend.js';
import { loadChurnModel } from '../../src/score/churn-model.js';
import { MANIFEST_JSON, type ModelManifest } from '../../src/score/manifest.js';
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
import { denseByHand, fixtureDir, KNOWN, logisticByHand } from './known-models.js';

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

  it('refuses outputs that are not probabilities (a model without its sigmoid) instead of clamping them', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [], 1, 'linear');
    const [kernel] = model.getWeights();
    for (const bias of [5, -5]) {
      model.setWeights([tf.zerosLike(kernel!), tf.tensor1d([bias])]);
      await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
      const refused = await loadChurnModel(t.dir)
        .then(async (m) => {
          // Refused at load (its smoke row) or, at the latest, when predicting.
          try {
            await m.predict(randomMatrix(2, 1), 2);
            return undefined;
          } finally {
            m.dispose();
          }
        })
        .catch((err: unknown) => err);
      expect(refused).toMatchObject({ code: 'MODEL_INVALID' });
      expect(String((refused as Error).message)).toMatch(/not a probability|probability/);
    }
    model.dispose();
  });

  it('refuses NaN weights at load, naming the weights file and the weight', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [], 1);
    const [kernel] = model.getWeights();
    model.setWeights([tf.fill(kernel!.shape, NaN), tf.tensor1d([0])]);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    const err = await loadChurnModel(t.dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_INVALID', context: { file: path.join(t.dir, WEIGHTS_BIN) } });
    expect((err as Error).message).toContain(model.layers[0]!.weights[0]!.originalName);
    model.dispose();
  });

  it('refuses to return NaN for input the model cannot handle, naming model.json', async () => {
    await using t = await tempDir();
    const model = mlp(SOME_FEATURES.length, [], 1);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    const churn = await loadChurnModel(t.dir);
    const m = randomMatrix(2, 1);
    m.fill(NaN, 0, FEATURE_COUNT);
    await expect(churn.predict(m, 2)).rejects.toMatchObject({
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

describe('loadChurnModel on model directories a data scientist brings (test/fixtures/models)', () => {
  const rows = 5;
  const matrix = randomMatrix(rows, 11, 20);

  for (const name of ['keras2-sequential', 'keras3-sequential', 'keras3-functional']) {
    it(`${name}: gathers, normalises and predicts the known net's output`, async () => {
      const churn = await loadChurnModel(fixtureDir(name));
      expect(churn.featureNames).toEqual(KNOWN.features);
      expect(churn.explainMethod).toBe('gradient');
      const got = await churn.predict(matrix, rows);
      for (let r = 0; r < rows; r++) expect(got[r]).toBeCloseTo(denseByHand(matrix, r), 5);
      churn.dispose();
    });
  }

  it('graph-logistic (a GraphModel): predicts the known logistic output, explains by gradient', async () => {
    const churn = await loadChurnModel(fixtureDir('graph-logistic'));
    expect(churn.manifest.format).toBe('graph');
    expect(churn.explainMethod).toBe('gradient');
    const got = await churn.predict(matrix, rows);
    for (let r = 0; r < rows; r++) expect(got[r]).toBeCloseTo(logisticByHand(matrix, r), 5);
    const before = tf.memory().numTensors;
    await churn.predict(matrix, rows);
    await churn.explain(matrix, rows, 2);
    expect(tf.memory().numTensors).toBe(before);
    churn.dispose();
  });

  it('refuses a graph whose input width differs from the manifest features, naming model.json', async () => {
    await using t = await tempDir();
    await cp(fixtureDir('graph-logistic'), t.dir, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(t.dir, MANIFEST_JSON), 'utf8')) as ModelManifest;
    manifest.features.push('events_7d');
    manifest.normalization.mean.push(0);
    manifest.normalization.std.push(1);
    await writeFile(path.join(t.dir, MANIFEST_JSON), JSON.stringify(manifest));
    const file = path.join(t.dir, MODEL_JSON);
    const err = await loadChurnModel(t.dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_INVALID', context: { file, key: 'features' } });
    expect((err as Error).message).toContain('3 input columns, not the 4 manifest features');
  });

  it('refuses a manifest format that differs from what model.json is', async () => {
    await using t = await tempDir();
    await cp(fixtureDir('graph-logistic'), t.dir, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(t.dir, MANIFEST_JSON), 'utf8')) as ModelManifest;
    await writeFile(path.join(t.dir, MANIFEST_JSON), JSON.stringify({ ...manifest, format: 'layers' }));
    await expect(loadChurnModel(t.dir)).rejects.toMatchObject({ context: { key: 'format' } });
  });

  it('refuses a truncated shard of a Keras 3 directory, naming it', async () => {
    await using t = await tempDir();
    await cp(fixtureDir('keras3-sequential'), t.dir, { recursive: true });
    const bin = path.join(t.dir, 'group1-shard1of1.bin');
    await writeFile(bin, (await readFile(bin)).subarray(0, 40));
    await expect(loadChurnModel(t.dir)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      context: { file: bin },
    });
  });

  it('the fixture weights files hold exactly the known arrays (regenerate: node test/fixtures/models/generate.mjs)', async () => {
    const d = KNOWN.dense;
    const dense = [d.kernel1.flat(), d.bias1, d.kernel2.flat(), d.bias2].flat();
    for (const name of ['keras2-sequential', 'keras3-sequential', 'keras3-functional']) {
      const bytes = await readFile(path.join(fixtureDir(name), 'group1-shard1of1.bin'));
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))).toEqual(
        Array.from(Float32Array.from(dense)),
      );
    }
  });
});
