import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (holds config/ and models/), from dist/src/cli/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A path as given when it exists relative to the working directory, else relative to the package root. */
export function resolveProjectPath(path: string): string {
  if (isAbsolute(path)) return path;
  const fromCwd = resolve(path);
  return existsSync(fromCwd) ? fromCwd : resolve(PACKAGE_ROOT, path);
}
