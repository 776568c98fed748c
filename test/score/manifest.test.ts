import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, it, expect } from 'vitest';
import { ChurnflowError } from '../../src/contract/codes.js';
import { checkManifest, MANIFEST_JSON, readManifest } from '../../src/score/manifest.js';
import { FEATURE_NAMES } from '../../src/state/feature-catalog.js';
import { manifestFor, SOME_FEATURES, tempDir } from './fixtures.js';
import { fixtureDir } from './known-models.js';

function refused(fn: () => unknown): ChurnflowError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ChurnflowError);
    expect((err as ChurnflowError).code).toBe('MODEL_INVALID');
    return err as ChurnflowError;
  }
  throw new Error('expected a refusal, the manifest was accepted');
}

const FILE = '/models/x/manifest.json';

describe('checkManifest', () => {
  it('accepts a manifest over engine features, in any order, and keeps its fields', () => {
    const m = manifestFor(SOME_FEATURES);
    const got = checkManifest(JSON.parse(JSON.stringify(m)), FILE);
    expect(got.features).toEqual(SOME_FEATURES);
    expect(got.churnDefinition).toEqual({ kind: 'no_activity', days: 30 });
    // Every engine feature is acceptable.
    expect(checkManifest(manifestFor(FEATURE_NAMES), FILE).features).toHaveLength(FEATURE_NAMES.length);
  });

  it('refuses an unknown feature, naming the file and the feature', () => {
    const err = refused(() =>
      checkManifest(manifestFor([...SOME_FEATURES, 'days_since_moon_landing']), FILE),
    );
    expect(err.message).toContain(FILE);
    expect(err.message).toContain('days_since_moon_landing');
    expect(err.context).toEqual({ file: FILE, key: 'days_since_moon_landing' });
  });

  it('refuses a feature listed twice', () => {
    const err = refused(() => checkManifest(manifestFor([...SOME_FEATURES, SOME_FEATURES[0]!]), FILE));
    expect(err.context.key).toBe(SOME_FEATURES[0]);
  });

  it('refuses normalisation arrays whose length differs from the feature list', () => {
    const m = manifestFor(SOME_FEATURES);
    const shortMean = { ...m, normalization: { ...m.normalization, mean: m.normalization.mean.slice(1) } };
    const err = refused(() => checkManifest(shortMean, FILE));
    expect(err.message).toContain(FILE);
    expect(err.message).toContain(`${SOME_FEATURES.length - 1} values for ${SOME_FEATURES.length} features`);
    const longStd = { ...m, normalization: { ...m.normalization, std: [...m.normalization.std, 1] } };
    expect(refused(() => checkManifest(longStd, FILE)).context.key).toBe('std');
  });

  it('refuses schema violations, naming the field', () => {
    const m = manifestFor(SOME_FEATURES);
    expect(refused(() => checkManifest({ ...m, format: 'onnx' }, FILE)).message).toContain('/format');
    expect(refused(() => checkManifest({ ...m, name: undefined }, FILE)).message).toContain('name');
    const kind = { ...m, churnDefinition: { kind: 'bored', days: 30 } };
    expect(refused(() => checkManifest(kind, FILE)).message).toContain('/churnDefinition/kind');
    const negStd = { ...m, normalization: { ...m.normalization, std: m.normalization.std.map(() => -1) } };
    expect(refused(() => checkManifest(negStd, FILE)).message).toContain('/normalization/std');
    expect(refused(() => checkManifest({ ...m, trainedAt: 'last tuesday' }, FILE)).context.key).toBe(
      'trainedAt',
    );
    expect(refused(() => checkManifest([], FILE)).message).toContain(FILE);
  });
});

describe('readManifest', () => {
  it('reads and validates <dir>/manifest.json', async () => {
    await using t = await tempDir();
    await writeFile(
      path.join(t.dir, MANIFEST_JSON),
      JSON.stringify(manifestFor(SOME_FEATURES, { version: '7' })),
    );
    expect((await readManifest(t.dir)).version).toBe('7');
  });

  it('refuses a missing or non-JSON manifest, naming the file', async () => {
    await using t = await tempDir();
    const file = path.join(t.dir, MANIFEST_JSON);
    await expect(readManifest(t.dir)).rejects.toMatchObject({ code: 'MODEL_INVALID', context: { file } });
    await writeFile(file, '{ name: ');
    await expect(readManifest(t.dir)).rejects.toThrow(/not valid JSON/);
    await writeFile(file, JSON.stringify(manifestFor(['events_7d', 'bogus'])));
    await expect(readManifest(t.dir)).rejects.toMatchObject({ context: { file, key: 'bogus' } });
  });
});

describe('schemas/model-manifest.json (the shipped JSON Schema)', () => {
  const ajv = new Ajv({ unicode: false, unicodeRegExp: false, strict: true });
  const validate = ajv.compile(
    JSON.parse(readFileSync(new URL('../../schemas/model-manifest.json', import.meta.url), 'utf8')) as object,
  );

  it('accepts what checkManifest accepts: test manifests, the fixtures and the shipped default model', () => {
    const manifests: unknown[] = [manifestFor(SOME_FEATURES)];
    for (const dir of ['keras3-sequential', 'graph-logistic']) {
      manifests.push(JSON.parse(readFileSync(path.join(fixtureDir(dir), MANIFEST_JSON), 'utf8')));
    }
    const shipped = new URL('../../models/churn-default/1/manifest.json', import.meta.url);
    manifests.push(JSON.parse(readFileSync(shipped, 'utf8')));
    for (const m of manifests) {
      expect(checkManifest(m, FILE)).toBeDefined();
      expect(validate(m), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('refuses what the schema part of checkManifest refuses', () => {
    const m = manifestFor(SOME_FEATURES);
    for (const bad of [
      { ...m, format: 'onnx' },
      { ...m, features: [] },
      { ...m, churnDefinition: { kind: 'x', days: 1 } },
    ]) {
      expect(validate(bad)).toBe(false);
      expect(() => checkManifest(bad, FILE)).toThrow(ChurnflowError);
    }
  });
});
