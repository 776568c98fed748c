/**
 * Model versions of `models/<name>/`: whole-number directory names, the next one picked automatically so a
 * retrain never overwrites the model it may have to roll back to.
 */
import { readdir } from 'node:fs/promises';

/**
 * One more than the highest whole-number version directory in `modelDir` (`models/<name>`); '1' when there is
 * none or the directory does not exist. Other entries (files, `latest`, `2-rc`) are ignored.
 */
export async function nextModelVersion(modelDir: string): Promise<string> {
  let names: string[];
  try {
    const entries = await readdir(modelDir, { withFileTypes: true });
    names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '1';
    throw err;
  }
  let highest = 0;
  for (const name of names) if (/^\d+$/.test(name)) highest = Math.max(highest, Number(name));
  return String(highest + 1);
}
