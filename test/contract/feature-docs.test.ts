import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FEATURES } from '../../src/state/feature-catalog.js';

describe('docs/features.md', () => {
  const doc = readFileSync('docs/features.md', 'utf8');
  it.each(FEATURES.map((f) => [f.name, f.description] as const))(
    'documents %s with its definition',
    (name, description) => {
      expect(doc).toContain(`| \`${name}\` |`);
      expect(doc).toContain(description);
    },
  );
});
