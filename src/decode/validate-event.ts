import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  EVENT_TYPES,
  MAX_EVENT_VALUE,
  NON_NEGATIVE_VALUE_TYPES,
  RATING_RANGES,
  VALUE_REQUIRED_TYPES,
  maxEventValue,
} from '../contract/catalog.js';
import { CustomerEventSchema, type CustomerEvent } from '../contract/event.js';
import { isEventSubject, parseEventSubject } from '../contract/subjects.js';
import { partitionOfToken } from '../partitions/hash.js';
import { fieldProblem, hasLoneSurrogate, isPlainObject, propsProblem } from './field-problem.js';
import type { DecodeOptions } from './options.js';
import { Problem, show } from './problem.js';

/** The inclusive range of `value` for one type. */
interface ValueRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The value range of every catalog type, from the rating ranges, the non-negative types and MAX_EVENT_VALUE,
 * merged once so a valid event pays one lookup. A Map, not an index into a plain object: custom types such as
 * 'constructor' or '__proto__' are valid and would otherwise read Object.prototype members as ranges.
 */
const valueRanges = new Map<string, ValueRange>(
  EVENT_TYPES.map((type) => {
    const rating = RATING_RANGES[type];
    if (rating !== undefined) return [type, { min: rating[0], max: rating[1] }];
    const max = maxEventValue(type);
    return [type, { min: NON_NEGATIVE_VALUE_TYPES.has(type) ? 0 : -max, max }];
  }),
);
/** The range of custom types (and of any type without a bound of its own): `|value| <= MAX_EVENT_VALUE.other`. */
const OTHER_RANGE: ValueRange = { min: -MAX_EVENT_VALUE.other, max: MAX_EVENT_VALUE.other };

// Compiled once at load: a valid event costs one generated function call for every schema rule.
const checkEvent = TypeCompiler.Compile(CustomerEventSchema);

/** Detail of the (never expected) case where the compiled check fails but no field rule names why. */
export const UNEXPLAINED_SCHEMA_FAILURE = 'payload: does not match the customer event schema';

// Rules the JSON Schema cannot say: valid Unicode ids, value presence and ranges by type.
function domainProblem(event: CustomerEvent): Problem | undefined {
  if (hasLoneSurrogate(event.customerId)) return fieldProblem(event);
  if (event.id !== undefined && hasLoneSurrogate(event.id)) return fieldProblem(event);
  // The compiled check lets any non-array object (a Set from a MessagePack extension) pass as props.
  if (event.props !== undefined && !isPlainObject(event.props)) return propsProblem(event.props);
  const { type, value } = event;
  if (value === undefined) {
    return VALUE_REQUIRED_TYPES.has(type)
      ? new Problem('missing_field', `value: required for type ${type}, absent`)
      : undefined;
  }
  const range = valueRanges.get(type) ?? OTHER_RANGE;
  if (value >= range.min && value <= range.max) return undefined;
  return new Problem(
    'out_of_range',
    `value: ${type} must be within ${range.min}..${range.max}, got ${value}`,
  );
}

function subjectProblem(options: DecodeOptions, subject: string, event: CustomerEvent): Problem | undefined {
  const prefix = options.subjectPrefix;
  if (isEventSubject(prefix, subject, event.customerId, event.type)) {
    return options.partition === undefined ? undefined : partitionProblem(options.partition, prefix, subject);
  }
  const parsed = parseEventSubject(prefix, subject);
  if (parsed === undefined) {
    return new Problem(
      'invalid_subject',
      `subject: expected ${prefix}.<customer token>.<type>, got ${show(subject)}`,
    );
  }
  if (parsed.customerId !== event.customerId) {
    return new Problem(
      'subject_mismatch',
      `subject: customer ${show(parsed.customerId)} differs from payload customerId ${show(event.customerId)}`,
    );
  }
  return new Problem(
    'subject_mismatch',
    `subject: type ${show(parsed.type)} differs from payload type ${show(event.type)}`,
  );
}

function partitionProblem(
  partition: NonNullable<DecodeOptions['partition']>,
  prefix: string,
  subject: string,
): Problem | undefined {
  const token = subject.slice(prefix.length + 1, subject.lastIndexOf('.'));
  const expected = partitionOfToken(token, partition.count);
  if (expected === partition.index) return undefined;
  return new Problem(
    'wrong_partition',
    `subject: customer token ${show(token)} belongs to partition ${expected} of ${partition.count}, not ${partition.index}`,
  );
}

/**
 * Checks one decoded payload against the event contract and the subject it came on, and returns the event
 * (known fields only, unknown top-level fields dropped) or the one {@link Problem} that refuses it.
 * Order of checks: the payload's fields, then type-dependent value rules, then the subject, then the clock.
 * @param nowMs wall-clock now, epoch ms; `ts` later than `nowMs + options.maxFutureMs` is `too_far_in_future`.
 */
export function validateEvent(
  payload: unknown,
  subject: string,
  options: DecodeOptions,
  nowMs: number,
): CustomerEvent | Problem {
  if (!isPlainObject(payload) || !checkEvent.Check(payload)) {
    return fieldProblem(payload) ?? new Problem('wrong_type', UNEXPLAINED_SCHEMA_FAILURE);
  }
  const problem = domainProblem(payload) ?? subjectProblem(options, subject, payload);
  if (problem !== undefined) return problem;
  if (payload.ts > nowMs + options.maxFutureMs) {
    return new Problem(
      'too_far_in_future',
      `ts: ${payload.ts} is ${payload.ts - nowMs} ms after now (${nowMs}); at most ${options.maxFutureMs} ms allowed`,
    );
  }
  // A fresh object in one fixed key order: unknown fields are dropped, and every event downstream shares one
  // hidden class (absent optionals are undefined, not missing), which keeps the state stage's reads monomorphic.
  return {
    id: payload.id,
    customerId: payload.customerId,
    type: payload.type,
    ts: payload.ts,
    value: payload.value,
    channel: payload.channel,
    props: payload.props,
  };
}
