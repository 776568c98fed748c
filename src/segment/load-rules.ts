import { readFile, stat } from 'node:fs/promises';
import { RULE_LIMITS } from './rule-limits.js';
import { compileSegmentRules } from './compile-rules.js';
import { SegmentRulesError } from './segment-rules-error.js';
import type { SegmentRuleSet } from './types.js';

/** The rules file the engine reads when none is configured (relative to the working directory). */
export const DEFAULT_SEGMENTS_FILE = 'config/segments.json';

/**
 * Reads, checks and compiles a rules file.
 * @throws SegmentRulesError (`SEGMENTS_INVALID`) when it cannot be read, is larger than
 *   `RULE_LIMITS.maxFileBytes`, is not JSON, or a rule is refused.
 */
export async function loadSegmentRules(file: string = DEFAULT_SEGMENTS_FILE): Promise<SegmentRuleSet> {
  let text: string;
  try {
    // The size is checked before the file is read: a huge file (a log written to the wrong path) is refused cheaply.
    const { size } = await stat(file);
    if (size > RULE_LIMITS.maxFileBytes) {
      throw new SegmentRulesError(
        `${file}: the rules file is ${size.toLocaleString('en')} bytes; the limit is ${RULE_LIMITS.maxFileBytes.toLocaleString('en')} (maxFileBytes)`,
        file,
        undefined,
        undefined,
        undefined,
        { limit: 'maxFileBytes' },
      );
    }
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (cause instanceof SegmentRulesError) throw cause;
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
