import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/state/feature-catalog.js';

/** The known arrays behind test/fixtures/models/* (see known.json there). */
export interface KnownArrays {
  features: string[];
  normalization: { mean: number[]; std: number[] };
  dense: { kernel1: number[][]; bias1: number[]; kernel2: number[][]; bias2: number[] };
  logistic: { kernel: number[][]; bias: number[] };
}

const root = new URL('../fixtures/models/', import.meta.url);

/** The known arrays, parsed. */
export const KNOWN = JSON.parse(readFileSync(new URL('known.json', root), 'utf8')) as KnownArrays;

/** Path of a fixture model directory, e.g. `fixtureDir('keras3-sequential')`. */
export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`${name}/`, root));
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** The model's normalised inputs of engine row `r`, done the slow obvious way. */
export function normalisedRow(matrix: Float32Array, r: number): number[] {
  return KNOWN.features.map((f, j) => {
    const v = matrix[r * FEATURE_COUNT + FEATURE_NAMES.indexOf(f)]!;
    return (v - KNOWN.normalization.mean[j]!) / KNOWN.normalization.std[j]!;
  });
}

/** What the 3 -> 4 (relu) -> 1 (sigmoid) fixture net gives for engine row `r`, by hand. */
export function denseByHand(matrix: Float32Array, r: number): number {
  const z = normalisedRow(matrix, r);
  const { kernel1, bias1, kernel2, bias2 } = KNOWN.dense;
  const hidden = bias1.map((b, u) =>
    Math.max(
      0,
      z.reduce((s, x, i) => s + x * kernel1[i]![u]!, b),
    ),
  );
  return sigmoid(hidden.reduce((s, h, u) => s + h * kernel2[u]![0]!, bias2[0]!));
}

/** The logit of the logistic graph fixture for engine row `r`, by hand. */
export function logisticLogitByHand(matrix: Float32Array, r: number): number {
  const z = normalisedRow(matrix, r);
  return z.reduce((s, x, i) => s + x * KNOWN.logistic.kernel[i]![0]!, KNOWN.logistic.bias[0]!);
}

/** P(churn) of the logistic graph fixture for engine row `r`, by hand. */
export function logisticByHand(matrix: Float32Array, r: number): number {
  return sigmoid(logisticLogitByHand(matrix, r));
}
