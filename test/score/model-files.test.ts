import { readFile, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it, expect } from 'vitest';
import { ChurnflowError } from '../../src/contract/codes.js';
import { selectBackend } from '../../src/score/backend.js';
import { normalizeKerasModelJson } from '../../src/score/keras-topology.js';
import {
  loadLayersModelFromDir,
  MODEL_JSON,
  readModelDir,
  saveLayersModelToDir,
  WEIGHTS_BIN,
} from '../../src/score/model-files.js';
import { mlp, randomMatrix, recordingLog, tempDir } from './fixtures.js';
import { fixtureDir, KNOWN } from './known-models.js';

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

describe('Keras-converted LayersModel directories (test/fixtures/models)', () => {
  const x = Float32Array.from([1, -2, 0.5, 0, 0, 0, -1, 3, 2]);
  // Hand computation of the 3 -> 4 (relu) -> 1 (sigmoid) net on normalised inputs (no manifest here).
  const byHand = (r: number): number => {
    const { kernel1, bias1, kernel2, bias2 } = KNOWN.dense;
    const z = [0, 1, 2].map((i) => x[r * 3 + i]!);
    const h = bias1.map((b, u) =>
      Math.max(
        0,
        z.reduce((s, v, i) => s + v * kernel1[i]![u]!, b),
      ),
    );
    return 1 / (1 + Math.exp(-h.reduce((s, v, u) => s + v * kernel2[u]![0]!, bias2[0]!)));
  };

  for (const name of ['keras2-sequential', 'keras3-sequential', 'keras3-functional']) {
    it(`loads ${name} and predicts the known net's output`, async () => {
      const model = await loadLayersModelFromDir(fixtureDir(name));
      const got = predictAll(model, x, 3, 3);
      for (let r = 0; r < 3; r++) expect(got[r]).toBeCloseTo(byHand(r), 6);
      model.dispose();
    });
  }

  it('rewrites only Keras 3 files, and says what it rewrote', async () => {
    expect((await readModelDir(fixtureDir('keras2-sequential'))).rewrites).toEqual([]);
    const seq = (await readModelDir(fixtureDir('keras3-sequential'))).rewrites.join('\n');
    expect(seq).toContain('batch_shape -> batch_input_shape');
    expect(seq).toContain('DTypePolicy');
    expect(seq).toContain('"sequential/"');
    const fn = (await readModelDir(fixtureDir('keras3-functional'))).rewrites.join('\n');
    expect(fn).toContain('inbound_nodes');
    // A TF.js-written directory is left as TF.js wrote it.
    await using t = await tempDir();
    const model = mlp(3, [2]);
    await saveLayersModelToDir(model, t.dir);
    expect((await readModelDir(t.dir)).rewrites).toEqual([]);
    model.dispose();
  });

  it('TF.js alone refuses the Keras 3 forms the loader rewrites (so the rewrites are needed)', async () => {
    const dir = fixtureDir('keras3-sequential');
    const json = JSON.parse(await readFile(path.join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
    const artifacts = await tf.io.getModelArtifactsForJSON(json, async () => [
      json.weightsManifest[0]!.weights,
      new Uint8Array(await readFile(path.join(dir, 'group1-shard1of1.bin'))).buffer,
    ]);
    await expect(tf.loadLayersModel(tf.io.fromMemory(artifacts))).rejects.toThrow(/batchInputShape/);
  });
});

describe('normalizeKerasModelJson', () => {
  const functional = (inbound: unknown): tf.io.ModelJSON => ({
    modelTopology: {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'in',
            config: { name: 'in', batch_shape: [null, 2] },
            inbound_nodes: [],
          },
          { class_name: 'Dense', name: 'd', config: { name: 'd', units: 1 }, inbound_nodes: inbound },
        ],
        input_layers: ['in', 0, 0],
        output_layers: { out: ['d', 0, 0] },
      },
    },
    weightsManifest: [],
  });

  it('turns Keras 3 calls into TF.js nodes (tensors in argument order, plain kwargs kept) without mutating', () => {
    const tensor = (name: string) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 2], keras_history: [name, 0, 0] },
    });
    const input = functional([
      { args: [[tensor('in'), tensor('in')]], kwargs: { training: false, mask: tensor('in') } },
    ]);
    const before = JSON.stringify(input);
    const { json } = normalizeKerasModelJson(input, 'model.json');
    expect(JSON.stringify(input)).toBe(before);
    const config = (json.modelTopology as { config: Record<string, unknown> }).config;
    const layers = config.layers as { inbound_nodes: unknown; config: Record<string, unknown> }[];
    expect(layers[1]!.inbound_nodes).toEqual([
      [
        ['in', 0, 0, { training: false }],
        ['in', 0, 0, { training: false }],
      ],
    ]);
    expect(layers[0]!.config.batch_input_shape).toEqual([null, 2]);
    expect(config.input_layers).toEqual([['in', 0, 0]]);
    expect(config.output_layers).toEqual([['d', 0, 0]]);
  });

  it('refuses a layer whose input is not a layer of the model (TF.js would wait for it forever)', () => {
    const input = functional([[['ghost', 0, 0, {}]]]);
    expect(() => normalizeKerasModelJson(input, '/m/model.json')).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID', context: { file: '/m/model.json', key: 'd' } }),
    );
  });
});
