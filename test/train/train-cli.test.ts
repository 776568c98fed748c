import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { trainCommand } from '../../src/cli/train.js';
import { loadChurnModel } from '../../src/score/churn-model.js';
import { readManifest } from '../../src/score/manifest.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';

let dir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'churnflow-train-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `churnflow train <args>` through the real commander command; returns the exit code it set. */
async function train(args: string[]): Promise<number | string | undefined> {
  const before = process.exitCode;
  try {
    await trainCommand().parseAsync([...args, '--out', dir, '--backend', 'cpu'], { from: 'user' });
    return process.exitCode;
  } finally {
    process.exitCode = before;
  }
}

const SMALL = ['--customers', '300', '--days', '90', '--warmup-days', '30', '--epochs', '4', '--seed', '3'];

describe('churnflow train (simulator)', () => {
  it('writes <out>/<name>/<next version>/ that the engine loads, with model and BG/NBD evaluated', async () => {
    expect(await train(SMALL)).toBe(0);
    const modelDir = path.join(dir, 'churn-default', '1');
    const model = await loadChurnModel(modelDir);
    try {
      const m = model.manifest;
      expect(m).toMatchObject({ name: 'churn-default', version: '1', format: 'layers' });
      expect(m.churnDefinition).toEqual({ kind: 'no_activity', days: 30 });
      expect(m.trainingWindow?.cutoffs).toEqual(
        ['2025-01-31', '2025-02-15', '2025-03-02'].map((d) => `${d}T00:00:00.000Z`),
      );
      expect(m.bgnbd).toMatchObject({ timeUnitDays: 7 });
      for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(m.bgnbd![k]).toBeGreaterThan(0);
      const ev = m.evaluation!;
      expect(ev.model.name).toBe('model');
      expect(ev.baseline?.name).toBe('bgnbd');
      expect(ev.holdoutRows).toBeGreaterThan(50);
      expect(ev.calibration).toHaveLength(10);
      expect(ev.calibration.reduce((n, b) => n + b.count, 0)).toBe(ev.holdoutRows);
      expect(ev.model.rocAuc).toBeGreaterThan(0.6);
      expect(await model.predict(new Float32Array(3 * FEATURE_COUNT), 3)).toHaveLength(3);
    } finally {
      model.dispose();
    }
    const report = await readFile(path.join(modelDir, 'report.md'), 'utf8');
    expect(report).toContain('| BG/NBD 1 - P(alive) |');
    expect(report).toContain('churnflow train --source simulator --customers 300 --days 90');
  }, 30_000);

  it('picks the next version, and refuses to overwrite an existing one', async () => {
    expect(await train([...SMALL, '--definition', 'no_purchase'])).toBe(0);
    const m2 = await readManifest(path.join(dir, 'churn-default', '2'));
    expect(m2.version).toBe('2');
    expect(m2.churnDefinition.kind).toBe('no_purchase');
    expect(await train([...SMALL, '--version', '1'])).toBe(2);
  }, 30_000);

  it('refuses inconsistent options with exit code 2', async () => {
    expect(await train(['--source', 'file'])).toBe(2);
    expect(await train(['--from', '10'])).toBe(2);
    // 10 days of history cannot hold a 60-day warm-up and a 30-day look-ahead.
    expect(await train(['--customers', '50', '--days', '10', '--version', '9'])).toBe(2);
  });
});
