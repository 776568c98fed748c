import { readFile } from 'node:fs/promises';
import { compileSegmentRules } from './compile-rules.js';
import { SegmentRulesError } from './segment-rules-error.js';
import type { SegmentRuleSet } from './types.js';

/** The rules file the engine reads when none is configured (relative to the working directory). */
export const DEFAULT_SEGMENTS_FILE = 'config/segments.json';

/**
 * Reads, checks and compiles a rules file.
 * @throws SegmentRulesError (`SEGMENTS_INVALID`) when it cannot be read, is not JSON, or a rule is refused.
 */
export async function loadSegmentRules(file: string = DEFAULT_SEGMENTS_FILE): Promise<SegmentRuleSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new SegmentRulesError(
      `${file}: cannot read the segment rules file`,
      file,
      undefined,
      undefined,
      undefined,
      {
        cause,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new SegmentRulesError(`${file}: not valid JSON (${why})`, file, undefined, undefined, undefined, {
      cause,
    });
  }
  return compileSegmentRules(json, file);
}
