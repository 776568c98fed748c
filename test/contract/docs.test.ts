import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { TypeGuard, type TSchema } from '@sinclair/typebox';
import { DLQ_REASONS, ERROR_CODES, REQUEST_ERRORS, NOT_READY_REASONS } from '../../src/contract/codes.js';
import { ConfigSchema } from '../../src/config/index.js';

const readme = readFileSync('README.md', 'utf8');

function configKeys(schema: TSchema, path: string[] = []): string[] {
  if (!TypeGuard.IsObject(schema)) return [path.join('.')];
  return Object.entries(schema.properties).flatMap(([k, child]) => configKeys(child, [...path, k]));
}

describe('README documents every code and key', () => {
  it.each(Object.keys(DLQ_REASONS))('dead-letter reason %s', (reason) => {
    expect(readme).toContain(`| \`${reason}\` |`);
  });
  it.each(Object.keys(REQUEST_ERRORS))('request error code %s', (code) => {
    expect(readme).toContain(`| \`${code}\` |`);
  });
  it.each(Object.keys(NOT_READY_REASONS))('readiness reason %s', (reason) => {
    expect(readme).toContain(`| \`${reason}\` |`);
  });
  it.each(Object.keys(ERROR_CODES))('error code %s', (code) => {
    expect(readme).toContain(`| \`${code}\` |`);
  });
  it.each(configKeys(ConfigSchema))('config key %s', (key) => {
    expect(readme).toContain(`| \`${key}\` |`);
  });
});
