import { readFile } from 'node:fs/promises';

/**
 * The JSON values of a JSON Lines file, read as a consumer does: every line must be whole (the file ends with a
 * newline) and parse; a missing file reads as empty.
 */
export async function readJsonLines(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`${file}: last line is not complete`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw new Error(`${file}:${i + 1}: not JSON: ${line.slice(0, 80)}`, { cause: err });
      }
    });
}
