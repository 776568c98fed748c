import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/score/backend.js';
import { loadChurnModel } from '../../src/score/churn-model.js';
import { layersRunner } from '../../src/score/model-runner.js';
import { contributions, topReasons } from '../../src/score/reasons.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/state/feature-catalog.js';
import { manifestFor, mlp, randomMatrix, recordingLog, tempDir, writeModelDir } from './fixtures.js';
import { fixtureDir, KNOWN, logisticLogitByHand, normalisedRow } from './known-models.js';

beforeAll(async () => {
  await selectBackend(recordingLog());
});

// A logistic churn model where the right answer is known: A (days since last activity) raises the risk
// strongly, B (purchases in 30 days) lowers it strongly, C and D barely matter.
const FEATURES = ['days_since_last_activity', 'purchases_30d', 'events_7d', 'revenue_30d'];
const W = [2.5, -3, 0.1, 0.05];
const BIAS = -1;
const identity = { mean: FEATURES.map(() => 0), std: FEATURES.map(() => 1) };

async function logisticDir(dir: string): Promise<void> {
  const model = mlp(FEATURES.length, [], 1);
  model.setWeights([tf.tensor2d(W, [W.length, 1]), tf.tensor1d([BIAS])]);
  await writeModelDir(dir, model, manifestFor(FEATURES, { normalization: identity }));
  model.dispose();
}

/** An engine-order matrix whose rows hold the given values of FEATURES (other features random). */
function rowsOf(values: number[][]): Float32Array {
  const m = randomMatrix(values.length, 5);
  values.forEach((row, r) =>
    row.forEach((v, j) => (m[r * FEATURE_COUNT + FEATURE_NAMES.indexOf(FEATURES[j]!)] = v)),
  );
  return m;
}

describe('ChurnModel.explain (gradient × input against the normalisation mean)', () => {
  it('names the feature behind each customer: A up for a customer high in A, B down for one high in B', async () => {
    await using t = await tempDir();
    await logisticDir(t.dir);
    const churn = await loadChurnModel(t.dir);
    const [highA, highB, atReference] = await churn.explain(
      rowsOf([
        [3, 0.2, 1, 1],
        [0.1, 2, 1, 1],
        [0, 0, 0, 0],
      ]),
      3,
      2,
    );
    expect(highA![0]).toMatchObject({ feature: 'days_since_last_activity', direction: 'up' });
    expect(highB![0]).toMatchObject({ feature: 'purchases_30d', direction: 'down' });
    // For a logistic model gradient × input is exactly each feature's share of the log-odds: w · z.
    expect(highA![0]!.weight).toBeCloseTo(W[0]! * 3, 5);
    expect(highA![1]).toMatchObject({ feature: 'purchases_30d', direction: 'down' });
    expect(highA![1]!.weight).toBeCloseTo(W[1]! * 0.2, 5);
    expect(highB![0]!.weight).toBeCloseTo(W[1]! * 2, 5);
    // The reference customer differs from the reference in nothing: no reasons at all.
    expect(atReference).toEqual([]);
    churn.dispose();
  });

  it('returns at most k reasons per row, strongest first, and one list per row', async () => {
    await using t = await tempDir();
    await logisticDir(t.dir);
    const churn = await loadChurnModel(t.dir);
    const rows = 50;
    const m = randomMatrix(rows, 3, 4);
    const all = await churn.explain(m, rows, 10);
    expect(all).toHaveLength(rows);
    for (const reasons of all) {
      expect(reasons.length).toBeLessThanOrEqual(FEATURES.length);
      for (let i = 1; i < reasons.length; i++) {
        expect(Math.abs(reasons[i - 1]!.weight)).toBeGreaterThanOrEqual(Math.abs(reasons[i]!.weight));
      }
      for (const r of reasons) expect(r.direction).toBe(r.weight > 0 ? 'up' : 'down');
    }
    expect((await churn.explain(m, rows, 1)).every((r) => r.length <= 1)).toBe(true);
    expect(await churn.explain(m, 0, 3)).toEqual([]);
    churn.dispose();
  });

  it('leaves no tensor behind, and dispose releases the logit head with the model', async () => {
    const baseline = tf.memory().numTensors;
    const churn = await loadChurnModel(fixtureDir('keras3-sequential'));
    const m = randomMatrix(64, 2, 20);
    await churn.explain(m, 64, 3);
    const loaded = tf.memory().numTensors;
    await churn.explain(m, 64, 3);
    await churn.predict(m, 64);
    expect(tf.memory().numTensors).toBe(loaded);
    churn.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('explains a GraphModel through its Sigmoid node: weights are w · z of the known logistic graph', async () => {
    const churn = await loadChurnModel(fixtureDir('graph-logistic'));
    const rows = 8;
    const m = randomMatrix(rows, 21, 20);
    const reasons = await churn.explain(m, rows, 3);
    for (let r = 0; r < rows; r++) {
      const z = normalisedRow(m, r);
      const byHand = z.map((v, j) => v * KNOWN.logistic.kernel[j]![0]!);
      for (const reason of reasons[r]!) {
        expect(reason.weight).toBeCloseTo(byHand[KNOWN.features.indexOf(reason.feature)]!, 4);
      }
      // The contributions add up to the logit's distance from the reference customer (logit = bias).
      const sum = reasons[r]!.reduce((s, x) => s + x.weight, 0);
      expect(sum).toBeCloseTo(logisticLogitByHand(m, r) - KNOWN.logistic.bias[0]!, 4);
    }
    churn.dispose();
  });
});

describe('contributions', () => {
  it('occlusion and the probability-gradient fallback agree with the logit gradient on a logistic model', async () => {
    const model = mlp(FEATURES.length, [], 1);
    model.setWeights([tf.tensor2d(W, [W.length, 1]), tf.tensor1d([BIAS])]);
    const runner = layersRunner(model);
    expect(runner.logit).toBeDefined();
    const noHead = { ...runner, logit: undefined };
    const x = tf.tensor2d(
      Array.from(randomMatrix(20, 8, 2).subarray(0, 80), (v) => v - 1),
      [20, 4],
    );
    const exact = await contributions(runner, x, 'gradient');
    const viaProbability = await contributions(noHead, x, 'gradient');
    const occluded = await contributions(runner, x, 'occlusion');
    const occludedNoHead = await contributions(noHead, x, 'occlusion');
    const xs = x.dataSync();
    for (let i = 0; i < exact.length; i++) {
      expect(exact[i]).toBeCloseTo(W[i % 4]! * xs[i]!, 5);
      expect(viaProbability[i]).toBeCloseTo(exact[i]!, 3);
      expect(occluded[i]).toBeCloseTo(exact[i]!, 4);
      expect(occludedNoHead[i]).toBeCloseTo(exact[i]!, 3);
    }
    x.dispose();
    runner.dispose();
  });

  it('occlusion of an MLP: a column at its reference value contributes exactly 0', async () => {
    const model = mlp(3, [5]);
    const runner = layersRunner(model);
    const x = tf.tensor2d([1, 0, -2, 0, 0.5, 0], [2, 3]);
    const c = await contributions(runner, x, 'occlusion');
    expect([c[1], c[3], c[5]]).toEqual([0, 0, 0]);
    x.dispose();
    runner.dispose();
  });
});

describe('topReasons', () => {
  it('picks the largest |contribution| first, skips zeros and NaN, caps k at the column count', () => {
    const names = ['a', 'b', 'c', 'd'];
    const c = Float32Array.from([0.5, -2, 0, 1, /* row 2 */ 0, NaN, 0, 0]);
    const [first, second] = topReasons(c, 2, names, 9);
    expect(first).toEqual([
      { feature: 'b', direction: 'down', weight: -2 },
      { feature: 'd', direction: 'up', weight: 1 },
      { feature: 'a', direction: 'up', weight: 0.5 },
    ]);
    expect(second).toEqual([]);
    expect(topReasons(c, 2, names, 0)).toEqual([[], []]);
    expect(topReasons(c, 1, names, 1)).toEqual([[{ feature: 'b', direction: 'down', weight: -2 }]]);
  });
});

describe('explain on a graph TF.js cannot differentiate', () => {
  it('refuses a graph with an op the backend lacks, naming model.json', async () => {
    await using t = await tempDir();
    await cp(fixtureDir('graph-logistic'), t.dir, { recursive: true });
    const file = path.join(t.dir, 'model.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as GraphJson;
    const matMul = json.modelTopology.node.find((n) => n.op === 'MatMul')!;
    matMul.op = 'Einsum'; // the same x·W, as a Keras EinsumDense layer converts; no wasm kernel
    matMul.attr = { T: FLOAT, N: { i: '2' }, equation: { s: Buffer.from('ij,jk->ik').toString('base64') } };
    await writeFile(file, JSON.stringify(json));
    await expect(loadChurnModel(t.dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', context: { file } });
  });

  it('falls back to occlusion (a Cumprod node has no TF.js gradient) and still gives w · z', async () => {
    await using t = await tempDir();
    await cp(fixtureDir('graph-logistic'), t.dir, { recursive: true });
    const file = path.join(t.dir, 'model.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as GraphJson;
    // Sigmoid(Cumprod(logit, axis 1)): a cumulative product over one column changes nothing but the gradient.
    const nodes = json.modelTopology.node;
    nodes.find((n) => n.op === 'Sigmoid')!.input = ['dense/Cumprod'];
    nodes.push(
      {
        name: 'axis',
        op: 'Const',
        attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32' } } },
      },
      { name: 'dense/Cumprod', op: 'Cumprod', input: ['dense/BiasAdd', 'axis'], attr: { T: FLOAT } },
    );
    json.weightsManifest[0]!.weights.push({ name: 'axis', shape: [], dtype: 'int32' });
    await writeFile(file, JSON.stringify(json));
    const bin = path.join(t.dir, 'group1-shard1of1.bin');
    await writeFile(bin, Buffer.concat([await readFile(bin), Buffer.from(Int32Array.of(1).buffer)]));

    const churn = await loadChurnModel(t.dir);
    expect(churn.explainMethod).toBe('occlusion');
    const rows = 6;
    const m = randomMatrix(rows, 4, 20);
    const p = await churn.predict(m, rows);
    const reasons = await churn.explain(m, rows, 3);
    for (let r = 0; r < rows; r++) {
      expect(p[r]).toBeCloseTo(1 / (1 + Math.exp(-logisticLogitByHand(m, r))), 5);
      const z = normalisedRow(m, r);
      for (const reason of reasons[r]!) {
        const j = KNOWN.features.indexOf(reason.feature);
        expect(reason.weight).toBeCloseTo(z[j]! * KNOWN.logistic.kernel[j]![0]!, 3);
      }
    }
    churn.dispose();
  });
});

const FLOAT = { type: 'DT_FLOAT' };

interface GraphJson {
  modelTopology: { node: GraphNodeJson[] };
  weightsManifest: { weights: { name: string; shape: number[]; dtype: string }[] }[];
}

interface GraphNodeJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}
