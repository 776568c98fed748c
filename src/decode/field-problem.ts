import { CHANNELS, CUSTOM_TYPE_PATTERN } from '../contract/catalog.js';
import {
  MAX_CUSTOMER_ID_LENGTH,
  MAX_EVENT_ID_LENGTH,
  MAX_PROPS,
  PROPS_KEY_PATTERN,
} from '../contract/event.js';
import { Problem, show } from './problem.js';

// The same rules as CustomerEventSchema, spelled out field by field so a failure names its field. Only the
// slow path (a message that failed the compiled check) runs this; a test keeps the two in agreement.
const TYPE_RE = new RegExp(CUSTOM_TYPE_PATTERN);
const PROPS_KEY_RE = new RegExp(PROPS_KEY_PATTERN);
const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS);
const MAX_PROP_STRING = 256;
// In a /u regex a surrogate range matches only unpaired halves: pairs are read as one astral code point.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Whether a string holds an unpaired UTF-16 surrogate (not valid Unicode text; cannot be a subject token). */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Whether a value is a plain map (what JSON objects and MessagePack maps decode to), not an array or class. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function wrongType(field: string, expected: string, value: unknown): Problem {
  return new Problem('wrong_type', `${field}: expected ${expected}, got ${show(value)}`);
}

function missing(field: string): Problem {
  return new Problem('missing_field', `${field}: required, absent`);
}

function customerIdProblem(value: unknown): Problem | undefined {
  if (value === undefined) return missing('customerId');
  if (typeof value !== 'string') return wrongType('customerId', 'a string', value);
  if (value.length < 1 || value.length > MAX_CUSTOMER_ID_LENGTH || hasLoneSurrogate(value)) {
    return new Problem(
      'invalid_customer_id',
      `customerId: expected 1..${MAX_CUSTOMER_ID_LENGTH} UTF-16 characters of valid Unicode, got ${show(value)} (${value.length} characters)`,
    );
  }
  return undefined;
}

function typeProblem(value: unknown): Problem | undefined {
  if (value === undefined) return missing('type');
  if (typeof value !== 'string') return wrongType('type', 'a string', value);
  if (!TYPE_RE.test(value))
    return new Problem('invalid_type', `type: expected [a-z0-9_]{1,64}, got ${show(value)}`);
  return undefined;
}

function tsProblem(value: unknown): Problem | undefined {
  if (value === undefined) return missing('ts');
  if (typeof value !== 'number') return wrongType('ts', 'a number (epoch ms)', value);
  if (!Number.isFinite(value))
    return new Problem('non_finite_number', `ts: expected a finite number, got ${value}`);
  if (value < 0) return new Problem('out_of_range', `ts: expected >= 0, got ${value}`);
  return undefined;
}

function idProblem(value: unknown): Problem | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return wrongType('id', 'a string', value);
  if (value.length < 1 || value.length > MAX_EVENT_ID_LENGTH || hasLoneSurrogate(value)) {
    return new Problem(
      'invalid_event_id',
      `id: expected 1..${MAX_EVENT_ID_LENGTH} UTF-16 characters of valid Unicode, got ${show(value)} (${value.length} characters)`,
    );
  }
  return undefined;
}

function valueProblem(value: unknown): Problem | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') return wrongType('value', 'a number', value);
  if (!Number.isFinite(value))
    return new Problem('non_finite_number', `value: expected a finite number, got ${value}`);
  return undefined;
}

function channelProblem(value: unknown): Problem | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return wrongType('channel', 'a string', value);
  if (!CHANNEL_SET.has(value)) {
    return new Problem(
      'invalid_channel',
      `channel: expected one of ${CHANNELS.join('|')}, got ${show(value)}`,
    );
  }
  return undefined;
}

/** The problem with `props`, or undefined; also used by the fast path for what the compiled check lets by. */
export function propsProblem(value: unknown): Problem | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) return new Problem('invalid_props', `props: expected a map, got ${show(value)}`);
  const keys = Object.getOwnPropertyNames(value);
  if (keys.length > MAX_PROPS) {
    return new Problem('invalid_props', `props: expected at most ${MAX_PROPS} entries, got ${keys.length}`);
  }
  for (const key of keys) {
    if (!PROPS_KEY_RE.test(key)) {
      return new Problem('invalid_props', `props: key ${show(key)} is longer than 64 characters`);
    }
    const entry = value[key];
    if (typeof entry === 'boolean') continue;
    if (typeof entry === 'number') {
      if (Number.isFinite(entry)) continue;
      return new Problem('non_finite_number', `props.${show(key)}: expected a finite number, got ${entry}`);
    }
    if (typeof entry === 'string' && entry.length <= MAX_PROP_STRING) continue;
    return new Problem(
      'invalid_props',
      `props.${show(key)}: expected a boolean, a finite number or a string of at most ${MAX_PROP_STRING} characters, got ${show(entry)}`,
    );
  }
  return undefined;
}

/**
 * The first field of a decoded payload that breaks CustomerEventSchema (or holds invalid Unicode in an id),
 * in the order customerId, type, ts, id, value, channel, props; undefined when every field is fine.
 */
export function fieldProblem(value: unknown): Problem | undefined {
  if (!isPlainObject(value))
    return new Problem('not_an_object', `payload: expected a map, got ${show(value)}`);
  return (
    customerIdProblem(value.customerId) ??
    typeProblem(value.type) ??
    tsProblem(value.ts) ??
    idProblem(value.id) ??
    valueProblem(value.value) ??
    channelProblem(value.channel) ??
    propsProblem(value.props)
  );
}
