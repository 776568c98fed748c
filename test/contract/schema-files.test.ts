import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_DIALECT, schemaFileText, schemaFiles } from '../../src/contract/schema-files.js';

const dir = new URL('../../schemas/', import.meta.url);

describe('shipped JSON Schemas (schemas/*.json)', () => {
  it('are exactly what `npm run schemas` writes from the TypeBox schemas', async () => {
    const files = schemaFiles();
    const shipped = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    expect(shipped).toEqual(Object.keys(files).sort());
    for (const [name, schema] of Object.entries(files)) {
      const text = await readFile(new URL(name, dir), 'utf8');
      expect(text, `${name} is stale: run npm run schemas`).toBe(schemaFileText(schema));
    }
  });

  it('declare their dialect and $id, and carry no TypeBox internals', () => {
    for (const [name, schema] of Object.entries(schemaFiles())) {
      const s = schema as Record<string, unknown>;
      expect(s.$schema).toBe(JSON_SCHEMA_DIALECT);
      expect(s.$id).toBe(`https://churnflow.dev/schemas/${name}`);
      expect(Object.getOwnPropertySymbols(s)).toEqual([]);
    }
  });
});
