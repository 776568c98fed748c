import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/score/backend.js';
import { recordingLog } from './fixtures.js';

await selectBackend(recordingLog());

/** A product computed without any transposed read: B transposed by hand, then multiplied plainly. */
function reference(a: tf.Tensor, b: tf.Tensor, transposeA: boolean): Float32Array {
  return tf.tidy(() => {
    const r = b.rank;
    const perm = Array.from({ length: r }, (_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
    return tf.matMul(a, tf.transpose(b, perm), transposeA, false).dataSync() as Float32Array;
  });
}

describe.runIf(tf.getBackend() === 'wasm')('wasm BatchMatMul with a transposed B', () => {
  it('gives the same products as multiplying by B transposed beforehand, batched or not', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 0, max: 3 }),
          m: fc.integer({ min: 1, max: 40 }),
          k: fc.integer({ min: 1, max: 40 }),
          n: fc.integer({ min: 1, max: 40 }),
          transposeA: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        ({ batch, m, k, n, transposeA, seed }) => {
          const lead = batch === 0 ? [] : [batch];
          const a = tf.randomNormal([...lead, ...(transposeA ? [k, m] : [m, k])], 0, 1, 'float32', seed);
          const b = tf.randomNormal([...lead, n, k], 0, 1, 'float32', seed + 1);
          const got = tf.tidy(() => tf.matMul(a, b, transposeA, true).dataSync());
          expect(Array.from(got)).toEqual(Array.from(reference(a, b, transposeA)));
          a.dispose();
          b.dispose();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('leaks no tensor memory: the transposed copy is released', () => {
    const a = tf.ones([64, 16]);
    const b = tf.ones([8, 16]);
    tf.tidy(() => tf.matMul(a, b, false, true)).dispose();
    const before = tf.memory().numBytes;
    for (let i = 0; i < 50; i++) tf.tidy(() => tf.matMul(a, b, false, true)).dispose();
    expect(tf.memory().numBytes).toBe(before);
    a.dispose();
    b.dispose();
  });
});
