import { MAX_CUSTOMER_ID_LENGTH } from '../contract/event.js';
import { clipText } from './body.js';
import { RequestRefusal } from './types.js';

/** Most customer ids a dry run returns as its sample. */
export const MAX_DRY_RUN_SAMPLE = 100;
/** The sample size of a dry run that names none. */
export const DEFAULT_DRY_RUN_SAMPLE = 10;
/** Characters of a requester's string echoed back in an error message, at most. */
export const ECHO_LIMIT = 64;

// In a /u regex a surrogate range matches only unpaired halves: no valid customer id holds one.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** What a value is, for an error message: its kind, never its (unbounded) content. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'binary';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The body's own fields; refuses anything but a plain map (an array, a string, an empty body). */
function fieldsOf(body: unknown, expected: string): (key: string) => unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array) {
    throw new RequestRefusal(
      'not_an_object',
      `expected ${expected}, got ${body === undefined ? 'no body' : kindOf(body)}`,
    );
  }
  // Own fields only: a `__proto__` key in a decoded map must not supply a field through the prototype.
  return (key) => (Object.hasOwn(body, key) ? (body as Record<string, unknown>)[key] : undefined);
}

/** The customer id of a `customers.get` body `{ "customerId": "…" }` (1..128 characters of valid Unicode). */
export function customerIdOf(body: unknown): string {
  const id = fieldsOf(body, '{ "customerId": "…" }')('customerId');
  if (typeof id !== 'string') {
    const got = id === undefined ? 'nothing' : kindOf(id);
    throw new RequestRefusal('invalid_customer_id', `customerId: expected a string, got ${got}`);
  }
  if (id.length < 1 || id.length > MAX_CUSTOMER_ID_LENGTH || LONE_SURROGATE.test(id)) {
    throw new RequestRefusal(
      'invalid_customer_id',
      `customerId: expected 1..${MAX_CUSTOMER_ID_LENGTH} characters of valid Unicode, got ${JSON.stringify(clipText(id, ECHO_LIMIT))}`,
    );
  }
  return id;
}

/** The rule and sample size of a `segments.dryrun` body `{ "rule": "…", "sample": 10 }`. */
export function dryRunOf(body: unknown, maxRuleLength: number): { rule: string; sample: number } {
  const field = fieldsOf(body, '{ "rule": "…", "sample": 10 }');
  const rule = field('rule');
  if (typeof rule !== 'string' || rule.trim() === '' || rule.length > maxRuleLength) {
    const got =
      typeof rule === 'string' ? `${rule.length} characters` : rule === undefined ? 'nothing' : kindOf(rule);
    throw new RequestRefusal(
      'invalid_rule',
      `rule: expected a non-blank string of at most ${maxRuleLength} characters, got ${got}`,
    );
  }
  const sample = field('sample') ?? DEFAULT_DRY_RUN_SAMPLE;
  if (typeof sample !== 'number' || !Number.isInteger(sample) || sample < 0 || sample > MAX_DRY_RUN_SAMPLE) {
    const got = typeof sample === 'number' ? String(sample) : kindOf(sample);
    throw new RequestRefusal(
      'invalid_sample',
      `sample: expected a whole number 0..${MAX_DRY_RUN_SAMPLE}, got ${clipText(got, ECHO_LIMIT)}`,
    );
  }
  return { rule, sample };
}
