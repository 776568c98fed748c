import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/state/feature-catalog.js';
import { MANIFEST_JSON, type ModelManifest } from '../../src/score/manifest.js';
import { saveLayersModelToDir } from '../../src/score/model-files.js';

/** A log that records what it was given (pino's info(obj, msg) shape). */
export function recordingLog(): {
  info(obj: object, msg: string): void;
  lines: { obj: object; msg: string }[];
} {
  const lines: { obj: object; msg: string }[] = [];
  return { lines, info: (obj, msg) => void lines.push({ obj, msg }) };
}

/** A fresh temp directory and its removal. */
export async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'churnflow-score-'));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

/** A small real MLP: features.length -> hidden... -> units, sigmoid output unless told otherwise. */
export function mlp(
  inputs: number,
  hidden: readonly number[],
  units = 1,
  outActivation: 'sigmoid' | 'linear' = 'sigmoid',
  seed?: number,
) {
  // With a seed, the same weights every run (a test that needs two models to differ must not depend on luck).
  const kernel = (layer: number) =>
    seed === undefined ? {} : { kernelInitializer: tf.initializers.glorotUniform({ seed: seed + layer }) };
  const model = tf.sequential();
  hidden.forEach((h, i) =>
    model.add(
      tf.layers.dense({
        units: h,
        activation: 'relu',
        ...kernel(i),
        ...(i === 0 ? { inputShape: [inputs] } : {}),
      }),
    ),
  );
  model.add(
    tf.layers.dense({
      units,
      activation: outActivation,
      ...kernel(hidden.length),
      ...(hidden.length === 0 ? { inputShape: [inputs] } : {}),
    }),
  );
  return model;
}

/** A valid manifest for the given features, with per-column mean/std derived from their positions. */
export function manifestFor(features: readonly string[], over: Partial<ModelManifest> = {}): ModelManifest {
  return {
    name: 'test-mlp',
    version: '0.0.1',
    format: 'layers',
    features: [...features],
    normalization: {
      mean: features.map((_, j) => j * 0.5),
      std: features.map((_, j) => (j === 1 ? 0 : 1 + j)),
    },
    churnDefinition: { kind: 'no_activity', days: 30 },
    trainedAt: '2025-01-01T00:00:00Z',
    metrics: { auc: 0.5 },
    ...over,
  };
}

/** Saves `model` and `manifest` into `dir` (manifest as JSON, model via saveLayersModelToDir). */
export async function writeModelDir(dir: string, model: tf.LayersModel, manifest: unknown): Promise<void> {
  await saveLayersModelToDir(model, dir);
  await writeFile(path.join(dir, MANIFEST_JSON), JSON.stringify(manifest));
}

/** Some engine features in a non-catalog order, so column gathering is exercised. */
export const SOME_FEATURES: readonly string[] = [
  FEATURE_NAMES[20]!,
  FEATURE_NAMES[0]!,
  FEATURE_NAMES[7]!,
  FEATURE_NAMES[45]!,
  FEATURE_NAMES[3]!,
  FEATURE_NAMES[FEATURE_COUNT - 1]!,
];

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An engine-order matrix of `rows` random feature vectors (values 0..scale). */
export function randomMatrix(rows: number, seed: number, scale = 10): Float32Array {
  const next = rng(seed);
  const m = new Float32Array(rows * FEATURE_COUNT);
  for (let i = 0; i < m.length; i++) m[i] = next() * scale;
  return m;
}

/** What the churn model should compute, done the slow obvious way: gather, normalise, model.predict. */
export function referencePredict(
  model: tf.LayersModel,
  manifest: ModelManifest,
  matrix: Float32Array,
  rows: number,
): Float32Array {
  const k = manifest.features.length;
  const cols = manifest.features.map((f) => FEATURE_NAMES.indexOf(f));
  const x = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      const std = manifest.normalization.std[j]!;
      x[r * k + j] =
        (matrix[r * FEATURE_COUNT + cols[j]!]! - manifest.normalization.mean[j]!) / (std === 0 ? 1 : std);
    }
  }
  return tf.tidy(() => (model.predict(tf.tensor2d(x, [rows, k])) as tf.Tensor).dataSync() as Float32Array);
}
