import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Registry } from 'prom-client';
import { beforeAll, describe, it, expect } from 'vitest';
import { ChurnflowError } from '../../src/contract/codes.js';
import { createModelMetrics, type ModelMetrics } from '../../src/metrics/model-metrics.js';
import { selectBackend } from '../../src/score/backend.js';
import { compareVersions } from '../../src/score/model-version.js';
import {
  createModelRegistry,
  type ModelChange,
  type ModelRegistry,
  type ModelRegistryOptions,
} from '../../src/score/model-registry.js';
import { createScorer } from '../../src/score/scorer.js';
import { WEIGHTS_BIN } from '../../src/score/model-files.js';
import { FEATURE_COUNT } from '../../src/state/feature-catalog.js';
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

type Flaw = 'wrong_width' | 'unknown_feature' | 'nan_weights' | 'truncated';

/** Writes `<root>/churn/<version>/` with a tiny real model; `flaw` breaks it one way. */
async function writeVersion(root: string, version: string, flaw?: Flaw): Promise<string> {
  const dir = path.join(root, 'churn', version);
  const features =
    flaw === 'unknown_feature' ? [...SOME_FEATURES.slice(1), 'days_since_moon_landing'] : SOME_FEATURES;
  const model = mlp(SOME_FEATURES.length + (flaw === 'wrong_width' ? 2 : 0), [4]);
  if (flaw === 'nan_weights') {
    const [kernel, bias] = model.layers[0]!.getWeights();
    model.layers[0]!.setWeights([tf.fill(kernel!.shape, NaN), bias!]);
  }
  await writeModelDir(dir, model, manifestFor(features, { name: 'churn', version }));
  model.dispose();
  if (flaw === 'truncated') {
    const file = path.join(dir, WEIGHTS_BIN);
    await writeFile(file, (await readFile(file)).subarray(0, 10));
  }
  return dir;
}

/** A pino-shaped log that keeps every line, by level. */
function levelLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

interface Setup {
  readonly registry: ModelRegistry;
  readonly metrics: ModelMetrics;
  readonly log: ReturnType<typeof levelLog>;
  readonly changes: ModelChange[];
  /** Resolves with the next change (or rejects after `ms`). */
  nextChange(ms?: number): Promise<ModelChange>;
}

async function open(root: string, over: Partial<ModelRegistryOptions> = {}): Promise<Setup> {
  const metrics = createModelMetrics(new Registry());
  const log = levelLog();
  const registry = await createModelRegistry({
    modelsDir: root,
    name: 'churn',
    log,
    metrics,
    debounceMs: 40,
    ...over,
  });
  const changes: ModelChange[] = [];
  const waiters: ((c: ModelChange) => void)[] = [];
  registry.onChange((c) => {
    changes.push(c);
    waiters.shift()?.(c);
  });
  const nextChange = (ms = 5000) =>
    new Promise<ModelChange>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no model change within ${ms} ms`)), ms);
      waiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  return { registry, metrics, log, changes, nextChange };
}

/** Polls `cond` every 20 ms until it holds, failing after `ms`: for outcomes that fire no event. */
async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function refusedCount(m: ModelMetrics, reason?: string): Promise<number> {
  const values = (await m.refused.get()).values;
  return values
    .filter((v) => reason === undefined || v.labels.reason === reason)
    .reduce((a, v) => a + v.value, 0);
}

describe('compareVersions', () => {
  it('orders integers numerically, dotted versions part by part, others lexically below them', () => {
    const sorted = ['10', 'b', '2', '1.10.0', '1.9.3', 'v1.10.0-rc1', 'a', '1', '99999999999999999999'].sort(
      compareVersions,
    );
    expect(sorted).toEqual([
      'a',
      'b',
      '1',
      '1.9.3',
      'v1.10.0-rc1',
      '1.10.0',
      '2',
      '10',
      '99999999999999999999',
    ]);
    expect(compareVersions('3', '3')).toBe(0);
  });
});

describe('createModelRegistry', () => {
  it('loads the highest admissible version, refusing a broken higher one with one error line and a metric', async () => {
    await using t = await tempDir();
    for (const v of ['1', '2', '10']) await writeVersion(t.dir, v);
    const bad = await writeVersion(t.dir, '11', 'truncated');
    const s = await open(t.dir, { watch: false });
    expect(s.registry.current().version).toBe('10');
    expect(s.registry.status().refused).toEqual([
      expect.objectContaining({ version: '11', reason: 'weights' }),
    ]);
    const errors = s.log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain(bad);
    expect(await refusedCount(s.metrics, 'weights')).toBe(1);
    const info = (await s.metrics.modelInfo.get()).values;
    expect(info).toEqual([
      expect.objectContaining({ labels: { name: 'churn', version: '10', role: 'champion' } }),
    ]);
    await s.registry.close();
  });

  it('fails to start, naming the directory and each refusal, when no version is admissible', async () => {
    await using t = await tempDir();
    await writeVersion(t.dir, '1', 'wrong_width');
    const metrics = createModelMetrics(new Registry());
    const err = await createModelRegistry({
      modelsDir: t.dir,
      name: 'churn',
      log: levelLog(),
      metrics,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChurnflowError);
    const e = err as ChurnflowError;
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.context.file).toBe(path.join(t.dir, 'churn'));
    expect(e.message).toContain(`1: ${path.join(t.dir, 'churn', '1')}`);
  });

  it('admits a version dropped in while running and tells the listeners; the old one waits for the swap', async () => {
    await using t = await tempDir();
    await writeVersion(t.dir, '1');
    const s = await open(t.dir);
    const first = s.registry.current();
    // A real scorer swapped by the listener, as the engine does.
    const scorer = createScorer({
      model: first,
      featuresOf: (_slot, out, off) => out.fill(1, off, off + FEATURE_COUNT),
    });
    s.registry.onChange((c) => scorer.swapModel(c.model));
    const next = s.nextChange();
    await writeVersion(t.dir, '2');
    const change = await next;
    expect(change.cause).toBe('newer');
    expect(change.model.version).toBe('2');
    expect(change.replaced).toBe(first);
    expect(s.registry.current()).toBe(change.model);
    expect(scorer.model).toBe(change.model);
    expect(s.registry.status()).toMatchObject({ current: '2', previous: '1', pinned: undefined });
    expect((await scorer.score([0, 1])).modelVersion).toBe('2');
    // The replaced model stays loaded (instant rollback) until a third version pushes it out.
    expect(await first.predict(randomMatrix(1, 1), 1)).toHaveLength(1);
    const third = s.nextChange();
    await writeVersion(t.dir, '3');
    expect((await third).model.version).toBe('3');
    await until(() => s.registry.status().previous === '2');
    // ...and is disposed once the scorer let go of it: predicting with it fails from then on.
    await until(() =>
      first.predict(randomMatrix(1, 1), 1).then(
        () => false,
        () => true,
      ),
    );
    // Every cause is exported from the start (at 0), so rate() works from the first scrape.
    const swaps = (await s.metrics.swaps.get()).values.filter((v) => v.value > 0);
    expect(swaps).toEqual([
      expect.objectContaining({ labels: { role: 'champion', cause: 'newer' }, value: 2 }),
    ]);
    await s.registry.close();
  });

  it('refuses broken drops (width, feature, NaN, truncated) while the old model keeps scoring', async () => {
    await using t = await tempDir();
    await writeVersion(t.dir, '1');
    const s = await open(t.dir);
    const flaws: Flaw[] = ['wrong_width', 'unknown_feature', 'nan_weights', 'truncated'];
    for (const [i, flaw] of flaws.entries()) await writeVersion(t.dir, String(i + 2), flaw);
    await until(() => s.registry.status().refused.length === 4);
    expect(s.registry.current().version).toBe('1');
    expect(s.changes).toHaveLength(0);
    const byVersion = Object.fromEntries(s.registry.status().refused.map((r) => [r.version, r.reason]));
    expect(byVersion['2']).toBe('model');
    expect(byVersion['3']).toBe('manifest');
    expect(['weights', 'output']).toContain(byVersion['4']);
    expect(byVersion['5']).toBe('weights');
    expect(await refusedCount(s.metrics)).toBe(4);
    for (const v of ['2', '3', '4', '5']) {
      const dir = path.join(t.dir, 'churn', v);
      expect(s.log.lines.filter((l) => l.level === 'error' && l.msg.includes(dir))).toHaveLength(1);
    }
    expect(await s.registry.current().predict(randomMatrix(4, 2), 4)).toHaveLength(4);
    // Fixing a refused version in place (its files change) gets it examined again, and admitted.
    const next = s.nextChange();
    await rm(path.join(t.dir, 'churn', '5'), { recursive: true });
    await writeVersion(t.dir, '5');
    expect((await next).model.version).toBe('5');
    await s.registry.close();
  });

  it('falls back to the previous version when the current directory is removed', async () => {
    await using t = await tempDir();
    await writeVersion(t.dir, '1');
    await writeVersion(t.dir, '2');
    const s = await open(t.dir);
    expect(s.registry.current().version).toBe('2');
    const next = s.nextChange();
    await rm(path.join(t.dir, 'churn', '2'), { recursive: true });
    const change = await next;
    expect(change).toMatchObject({ cause: 'removed' });
    expect(change.model.version).toBe('1');
    expect(s.registry.current().version).toBe('1');
    expect(s.log.lines.some((l) => l.level === 'warn' && l.obj.removed === '2')).toBe(true);
    await s.registry.close();
  });

  it('rollback() pins the previous version until a version newer than all seen appears', async () => {
    await using t = await tempDir();
    await writeVersion(t.dir, '1');
    const s = await open(t.dir);
    const next = s.nextChange();
    await writeVersion(t.dir, '2');
    await next;
    const result = await s.registry.rollback();
    expect(result.ok).toBe(true);
    expect(s.changes.at(-1)).toMatchObject({ cause: 'rollback' });
    expect(s.registry.current().version).toBe('1');
    expect(s.registry.status().pinned).toEqual({ version: '1', ceiling: '2' });
    // Version 2 is still on disk: a rescan, or the watcher seeing it again, must not bring it back.
    await s.registry.rescan();
    expect(s.registry.current().version).toBe('1');
    await rename(path.join(t.dir, 'churn', '2'), path.join(t.dir, 'churn', '.2'));
    await rename(path.join(t.dir, 'churn', '.2'), path.join(t.dir, 'churn', '2'));
    const ignored = () => s.log.lines.filter((l) => l.obj.version === '2' && l.obj.pinned === '1').length;
    await until(() => ignored() >= 2);
    expect(s.registry.current().version).toBe('1');
    // Nothing below 1: a second rollback says so, as a value.
    expect(await s.registry.rollback()).toEqual({
      ok: false,
      reason: expect.stringContaining('below 1') as string,
    });
    const lifted = s.nextChange();
    await mkdir(path.join(t.dir, 'churn'), { recursive: true });
    await writeVersion(t.dir, '3');
    expect((await lifted).model.version).toBe('3');
    expect(s.registry.status().pinned).toBeUndefined();
    const swaps = (await s.metrics.swaps.get()).values
      .filter((v) => v.value > 0 && v.labels.role === 'champion')
      .map((v) => [v.labels.cause, v.value]);
    expect(Object.fromEntries(swaps)).toEqual({ newer: 2, rollback: 1 });
    await s.registry.close();
  });

  it('unpin() leaves a rollback pin for the newest admitted version, and does nothing without a pin', async () => {
    await using t = await tempDir();
    await writeVersion(t.dir, '1');
    await writeVersion(t.dir, '2');
    const s = await open(t.dir, { watch: false });
    expect(await s.registry.unpin()).toEqual({ unpinned: false, change: undefined });
    expect(s.registry.current().version).toBe('2');
    expect((await s.registry.rollback()).ok).toBe(true);
    await writeVersion(t.dir, '3', 'truncated');
    await s.registry.rescan();
    expect(s.registry.status()).toMatchObject({ current: '1', pinned: { version: '1' } });
    // The broken 3 is refused again; the newest admissible version (the one rolled back from) is current.
    const result = await s.registry.unpin();
    expect(result.unpinned).toBe(true);
    expect(result.change).toMatchObject({
      cause: 'unpin',
      model: { version: '2' },
      replaced: { version: '1' },
    });
    expect(s.changes.at(-1)).toMatchObject({ cause: 'unpin' });
    expect(s.registry.status()).toMatchObject({ current: '2', previous: '1', pinned: undefined });
    // Followed again: a good new version is taken at once, no pin holds it back.
    await writeVersion(t.dir, '4');
    await s.registry.rescan();
    expect(s.registry.current().version).toBe('4');
    await s.registry.close();
  });

  it('disposes a replaced model only after every listener has finished swapping it out', async () => {
    await using t = await tempDir();
    await writeVersion(t.dir, '1');
    await writeVersion(t.dir, '2');
    const s = await open(t.dir, { watch: false });
    const replaced = s.registry.current();
    let release!: () => void;
    const swapped = new Promise<void>((r) => (release = r));
    // Stands for scorer.swapModel: resolves when the batches still on the old model are done.
    s.registry.onChange(() => swapped);
    expect(await s.registry.rollback()).toMatchObject({ ok: true });
    expect(s.registry.current().version).toBe('1');
    expect(await replaced.predict(randomMatrix(2, 3), 2)).toHaveLength(2);
    release();
    await until(() =>
      replaced.predict(randomMatrix(1, 1), 1).then(
        () => false,
        () => true,
      ),
    );
    await s.registry.close();
  });
});
