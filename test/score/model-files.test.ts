import { readFile, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it, expect } from 'vitest';
import { ChurnflowError } from '../../src/contract/codes.js';
import { selectBackend } from '../../src/score/backend.js';
import {
  loadLayersModelFromDir,
  MODEL_JSON,
  saveLayersModelToDir,
  WEIGHTS_BIN,
} from '../../src/score/model-files.js';
import { mlp, randomMatrix, recordingLog, tempDir } from './fixtures.js';

beforeAll(async () => {
  await selectBackend(recordingLog());
});

/** Runs `fn` and returns what it threw (or fails the test when it does not throw). */
async function refusal(fn: () => Promise<unknown>): Promise<ChurnflowError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ChurnflowError);
    return err as ChurnflowError;
  }
  throw new Error('expected a ChurnflowError, nothing was thrown');
}

function predictAll(model: tf.LayersModel, x: Float32Array, rows: number, cols: number): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.tensor2d(x, [rows, cols])) as tf.Tensor).dataSync()));
}

describe('saveLayersModelToDir / loadLayersModelFromDir', () => {
  it('round-trips a model: same weights, same predictions, tfjs file layout', async () => {
    await using t = await tempDir();
    const model = mlp(7, [5, 3]);
    await saveLayersModelToDir(model, t.dir);

    const json = JSON.parse(await readFile(path.join(t.dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0]!.paths).toEqual([WEIGHTS_BIN]);
    const params = model.countParams();
    expect((await stat(path.join(t.dir, WEIGHTS_BIN))).size).toBe(params * 4);

    const loaded = await loadLayersModelFromDir(t.dir);
    const x = randomMatrix(4, 1).subarray(0, 4 * 7);
    expect(predictAll(loaded, x, 4, 7)).toEqual(predictAll(model, x, 4, 7));
    loaded.dispose();
    model.dispose();
  });

  it('loads weights split over several shard files, as the Keras converter writes them', async () => {
    await using t = await tempDir();
    const model = mlp(4, [6]);
    await saveLayersModelToDir(model, t.dir);
    const bin = await readFile(path.join(t.dir, WEIGHTS_BIN));
    const cut = 37; // not on a weight boundary: shards are byte ranges, not tensors
    await writeFile(path.join(t.dir, 'group1-shard1of2.bin'), bin.subarray(0, cut));
    await writeFile(path.join(t.dir, 'group1-shard2of2.bin'), bin.subarray(cut));
    const jsonFile = path.join(t.dir, MODEL_JSON);
    const json = JSON.parse(await readFile(jsonFile, 'utf8')) as tf.io.ModelJSON;
    json.weightsManifest[0]!.paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    await writeFile(jsonFile, JSON.stringify(json));
    await writeFile(path.join(t.dir, WEIGHTS_BIN), ''); // proves the shards, not weights.bin, were read

    const loaded = await loadLayersModelFromDir(t.dir);
    const x = Float32Array.from([1, -2, 3, 0.5, 0, 1, 2, 3]);
    expect(predictAll(loaded, x, 2, 4)).toEqual(predictAll(model, x, 2, 4));
    loaded.dispose();
    model.dispose();
  });

  it('refuses a missing model.json, naming it', async () => {
    await using t = await tempDir();
    const err = await refusal(() => loadLayersModelFromDir(t.dir));
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.context.file).toBe(path.join(t.dir, MODEL_JSON));
    expect(err.message).toContain(path.join(t.dir, MODEL_JSON));
  });

  it('refuses a truncated weights file, naming it and both sizes', async () => {
    await using t = await tempDir();
    const model = mlp(3, [2]);
    await saveLayersModelToDir(model, t.dir);
    const bin = path.join(t.dir, WEIGHTS_BIN);
    const full = await readFile(bin);
    await writeFile(bin, full.subarray(0, full.length - 4));
    const err = await refusal(() => loadLayersModelFromDir(t.dir));
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.context.file).toBe(bin);
    expect(err.message).toContain(`${full.length - 4} bytes`);
    expect(err.message).toContain(`${full.length}`);
    model.dispose();
  });

  it('refuses a missing shard, a model.json that is not JSON, and a weight path leaving the directory', async () => {
    await using t = await tempDir();
    const model = mlp(3, [2]);
    await saveLayersModelToDir(model, t.dir);
    const jsonFile = path.join(t.dir, MODEL_JSON);
    const json = JSON.parse(await readFile(jsonFile, 'utf8')) as tf.io.ModelJSON;

    json.weightsManifest[0]!.paths = ['nope.bin'];
    await writeFile(jsonFile, JSON.stringify(json));
    expect((await refusal(() => loadLayersModelFromDir(t.dir))).context.file).toBe(
      path.join(t.dir, 'nope.bin'),
    );

    json.weightsManifest[0]!.paths = ['../weights.bin'];
    await writeFile(jsonFile, JSON.stringify(json));
    const escape = await refusal(() => loadLayersModelFromDir(t.dir));
    expect(escape.message).toContain('../weights.bin');
    expect(escape.context.file).toBe(jsonFile);

    await writeFile(jsonFile, '{"modelTopology": ');
    const notJson = await refusal(() => loadLayersModelFromDir(t.dir));
    expect(notJson.context.file).toBe(jsonFile);
    expect(notJson.message).toContain('not valid JSON');
    model.dispose();
  });
});
