import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, it, expect } from 'vitest';
import { selectBackend } from '../../src/score/backend.js';
import { recordingLog } from './fixtures.js';

const wasmPkg = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'), 'utf8'),
) as { version: string };

// The native backend is optional: where it is installed and loads, it must be the one picked.
const nativePackage: string = '@tensorflow/tfjs-node';
const nativeLoads = await import(nativePackage).then(
  () => true,
  () => false,
);

describe('selectBackend', () => {
  it.runIf(nativeLoads)('picks the native backend when @tensorflow/tfjs-node loads', async () => {
    const log = recordingLog();
    expect(await selectBackend(log)).toBe('tensorflow');
    expect(log.lines[0]!.obj).toMatchObject({ backend: 'tensorflow' });
  });

  it.runIf(!nativeLoads)(
    'falls back to wasm when @tensorflow/tfjs-node is not installed, and says so',
    async () => {
      const log = recordingLog();
      const picked = await selectBackend(log);
      expect(picked).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]!.obj).toMatchObject({ backend: 'wasm', version: wasmPkg.version });
      expect(log.lines[0]!.msg).toContain('wasm');
      expect((log.lines[0]!.obj as { nativeUnavailable?: string }).nativeUnavailable).toContain(
        '@tensorflow/tfjs-node',
      );
      // The .wasm binary really runs: a computation gives the right answer on this backend.
      expect(Array.from(tf.tidy(() => tf.tensor1d([1, 2, 3]).square().dataSync()))).toEqual([1, 4, 9]);
    },
  );

  it('is idempotent: a second call keeps the same backend instance and does not log again', async () => {
    const first = await selectBackend(recordingLog());
    const backend = tf.backend();
    const again = recordingLog();
    const [second, third] = await Promise.all([selectBackend(again), selectBackend(again)]);
    expect([second, third]).toEqual([first, first]);
    expect(tf.backend()).toBe(backend);
    expect(again.lines).toHaveLength(0);
  });
});
