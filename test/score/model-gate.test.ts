import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it, expect } from 'vitest';
import { ChurnflowError } from '../../src/contract/codes.js';
import { selectBackend } from '../../src/score/backend.js';
import { admitModel, admitModelTimed, ModelRefusedError } from '../../src/score/model-gate.js';
import { MANIFEST_JSON } from '../../src/score/manifest.js';
import { WEIGHTS_BIN } from '../../src/score/model-files.js';
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

/** A model whose first layer's kernel is all NaN: it loads fine and predicts NaN for every row. */
function nanModel(inputs: number): tf.LayersModel {
  const model = mlp(inputs, [4]);
  const layer = model.layers[0]!;
  const [kernel, bias] = layer.getWeights();
  layer.setWeights([tf.fill(kernel!.shape, NaN), bias!]);
  return model;
}

/**
 * Finite weights, NaN output: any positive normalised input drives both hidden units to +Inf (1e38 × x), and
 * the output takes their difference, Inf − Inf. The all-zero reference row stays finite (relu(0) = 0).
 */
function overflowModel(inputs: number): tf.LayersModel {
  const model = mlp(inputs, [2]);
  const [hidden, out] = [model.layers[0]!, model.layers[1]!];
  hidden.setWeights([tf.fill([inputs, 2], 1e38), tf.zeros([2])]);
  out.setWeights([tf.tensor2d([[1], [-1]]), tf.zeros([1])]);
  return model;
}

async function refusal(dir: string, opts = {}): Promise<ModelRefusedError> {
  const err: unknown = await admitModel(dir, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelRefusedError);
  expect(err).toBeInstanceOf(ChurnflowError);
  expect((err as ChurnflowError).code).toBe('MODEL_INVALID');
  return err as ModelRefusedError;
}

describe('admitModel', () => {
  it('admits a sound model, which then scores like any loaded model', async () => {
    await using t = await tempDir();
    await writeModelDir(t.dir, mlp(SOME_FEATURES.length, [8]), manifestFor(SOME_FEATURES));
    const { model, smokeMs } = await admitModelTimed(t.dir);
    expect(smokeMs).toBeGreaterThan(0);
    expect(smokeMs).toBeLessThanOrEqual(50);
    const p = await model.predict(randomMatrix(5, 1), 5);
    expect(p).toHaveLength(5);
    model.dispose();
  });

  it('refuses a model whose input width differs from the manifest, naming model.json', async () => {
    await using t = await tempDir();
    await writeModelDir(t.dir, mlp(SOME_FEATURES.length + 1, [4]), manifestFor(SOME_FEATURES));
    const err = await refusal(t.dir);
    expect(err.reason).toBe('model');
    expect(err.context.file).toBe(path.join(t.dir, 'model.json'));
  });

  it('refuses a manifest naming a feature the engine does not compute, naming the feature', async () => {
    await using t = await tempDir();
    const features = [...SOME_FEATURES.slice(0, -1), 'days_since_moon_landing'];
    await writeModelDir(t.dir, mlp(features.length, [4]), manifestFor(features));
    const err = await refusal(t.dir);
    expect(err.reason).toBe('manifest');
    expect(err.message).toContain('days_since_moon_landing');
    expect(err.message).toContain(path.join(t.dir, MANIFEST_JSON));
  });

  it('refuses NaN weights, naming the weight, and frees the refused model', async () => {
    await using t = await tempDir();
    const model = nanModel(SOME_FEATURES.length);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    model.dispose();
    const before = tf.memory().numTensors;
    const err = await refusal(t.dir);
    // The loader may catch it in the weights, or the smoke batch in the output: either way refused.
    expect(['weights', 'output']).toContain(err.reason);
    expect(err.message).toContain(t.dir);
    expect(err.message).toMatch(/NaN/);
    // The refused model's weights must not stay allocated: a watcher retrying a bad drop would leak each time.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses finite weights that overflow to NaN on plausible customers (the smoke batch)', async () => {
    await using t = await tempDir();
    const model = overflowModel(SOME_FEATURES.length);
    await writeModelDir(t.dir, model, manifestFor(SOME_FEATURES));
    model.dispose();
    const before = tf.memory().numTensors;
    const err = await refusal(t.dir);
    expect(err.reason).toBe('output');
    expect(err.message).toContain(t.dir);
    expect(err.message).toContain('smoke batch');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a truncated weights file, naming it', async () => {
    await using t = await tempDir();
    await writeModelDir(t.dir, mlp(SOME_FEATURES.length, [8]), manifestFor(SOME_FEATURES));
    const file = path.join(t.dir, WEIGHTS_BIN);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 12));
    const err = await refusal(t.dir);
    expect(err.reason).toBe('weights');
    expect(err.context.file).toBe(file);
    expect(err.message).toMatch(/truncated/);
  });

  it('refuses a missing directory as a missing manifest', async () => {
    await using t = await tempDir();
    const err = await refusal(path.join(t.dir, 'nope'));
    expect(err.reason).toBe('manifest');
    expect(err.message).toContain('missing');
  });

  it('refuses a model over the latency budget, measured on the clock it is given', async () => {
    await using t = await tempDir();
    await writeModelDir(t.dir, mlp(SOME_FEATURES.length, [8]), manifestFor(SOME_FEATURES));
    // A clock that advances 80 ms per reading: every timed predict "takes" 80 ms.
    let ms = 0;
    const now = () => (ms += 80);
    const before = tf.memory().numTensors;
    const err = await refusal(t.dir, { latencyBudgetMs: 50, now });
    expect(err.reason).toBe('latency');
    expect(err.message).toContain('80.0 ms');
    expect(err.message).toContain('1024-row');
    expect(tf.memory().numTensors).toBe(before);
    // The same model within a larger budget, on the same clock, and a smaller smoke batch named as such.
    const ok = await admitModelTimed(t.dir, { latencyBudgetMs: 100, now, smokeRows: 64 });
    expect(ok.smokeMs).toBe(80);
    ok.model.dispose();
    const err64 = await refusal(t.dir, { latencyBudgetMs: 10, now, smokeRows: 64 });
    expect(err64.message).toContain('64-row');
  });
});
