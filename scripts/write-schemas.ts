/**
 * Writes the shipped JSON Schemas (schemas/*.json) from the TypeBox schemas.
 * Usage: `npm run schemas` (builds, then runs this from dist/), or `node dist/scripts/write-schemas.js [dir]`.
 * The output directory defaults to `schemas` under the current directory (npm runs scripts at the package root).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { schemaFileText, schemaFiles } from '../src/contract/schema-files.js';

async function main(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, schema] of Object.entries(schemaFiles())) {
    const file = join(dir, name);
    await writeFile(file, schemaFileText(schema));
    process.stdout.write(`wrote ${file}\n`);
  }
}

main(resolve(process.argv[2] ?? 'schemas')).catch((error: unknown) => {
  process.stderr.write(`write-schemas: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
