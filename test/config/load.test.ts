import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { ChurnflowError } from '../../src/contract/codes.js';

function configFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cf-config-')), 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function errorOf(fn: () => unknown): ChurnflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChurnflowError) return err;
    throw err;
  }
  throw new Error('expected a ChurnflowError');
}

describe('loadConfig', () => {
  it('fills every default and freezes the result', () => {
    const c = loadConfig({ env: {} });
    expect(c.nats.stream).toBe('EVENTS');
    expect(c.score.maxBatch).toBe(2048);
    expect(c.publish.encoding).toBe('msgpack');
    expect(Object.isFrozen(c.publish)).toBe(true);
  });

  it('the shipped config/default.json is valid', () => {
    expect(loadConfig({ file: 'config/default.json', env: {} }).source).toBe('nats');
  });

  it('overlays file, then environment variables converted to the schema type', () => {
    const file = configFile({ publish: { encoding: 'json' }, score: { maxBatch: 100 } });
    const c = loadConfig({ file, env: { CHURNFLOW_SCORE_MAX_BATCH: '64', NATS_URL: 'nats://h:4222' } });
    expect(c.publish.encoding).toBe('json');
    expect(c.score.maxBatch).toBe(64);
    expect(c.nats.url).toBe('nats://h:4222');
  });

  it('names an unknown key in the file', () => {
    const err = errorOf(() => loadConfig({ file: configFile({ score: { maxBatchh: 3 } }), env: {} }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.context.key).toBe('score.maxBatchh');
    expect(err.message).toContain('score.maxBatchh');
  });

  it('names a wrong-typed or out-of-range key', () => {
    const err = errorOf(() => loadConfig({ file: configFile({ publish: { minRiskDelta: 2 } }), env: {} }));
    expect(err.context.key).toBe('publish.minRiskDelta');
    const bad = errorOf(() => loadConfig({ env: { CHURNFLOW_PUBLISH_ENCODING: 'xml' } }));
    expect(bad.context.key).toBe('publish.encoding');
  });

  it('refuses an unknown CHURNFLOW_ variable instead of ignoring it', () => {
    const err = errorOf(() => loadConfig({ env: { CHURNFLOW_SCORE_MAXBATCH: '3' } }));
    expect(err.context.key).toBe('CHURNFLOW_SCORE_MAXBATCH');
  });

  it('reports an unreadable file by name', () => {
    const file = configFile('{ not json');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('CONFIG_UNREADABLE');
    expect(err.context.file).toBe(file);
  });
});

describe('loadConfig cross-checks and platform variables', () => {
  it('ignores CHURNFLOW_* variables outside every config section (Kubernetes service links)', () => {
    const c = loadConfig({
      env: { CHURNFLOW_PORT: 'tcp://10.0.0.1:9464', CHURNFLOW_SERVICE_HOST: '10.0.0.1' },
    });
    expect(c.http.port).toBe(9464);
  });

  it('names the file a file source or sink needs', () => {
    expect(errorOf(() => loadConfig({ env: { CHURNFLOW_SOURCE: 'file' } })).context.key).toBe('ingest.file');
    expect(errorOf(() => loadConfig({ env: { CHURNFLOW_SINK: 'file' } })).context.key).toBe('publish.file');
  });
});
