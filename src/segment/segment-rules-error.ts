import { ChurnflowError } from '../contract/codes.js';

/**
 * A refused segment rules file (code `SEGMENTS_INVALID`). `context.file` is the file, `context.key` the JSON
 * path of the bad value (e.g. `segments[2].enter`); `rule` and `identifier` name the rule and the identifier at
 * fault when there is one, and `limit` the bound it exceeds, so callers never parse the message.
 */
export class SegmentRulesError extends ChurnflowError {
  override readonly name: string = 'SegmentRulesError';
  constructor(
    message: string,
    readonly file: string,
    readonly key: string | undefined,
    /** The segment name (or `segments[i]` when the name itself is bad). */
    readonly rule?: string,
    /** The unknown identifier, when that is the fault. */
    readonly identifier?: string,
    options?: { cause?: unknown; limit?: string },
  ) {
    super('SEGMENTS_INVALID', message, key === undefined ? { file } : { file, key }, options);
    if (options?.limit !== undefined) this.limit = options.limit;
  }
  /** The `RULE_LIMITS` key (or `sample`) the input exceeds, when a limit is the fault. */
  readonly limit?: string;
}
