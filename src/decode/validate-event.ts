import { TypeCompiler } from '@sinclair/typebox/compiler';
import { NON_NEGATIVE_VALUE_TYPES, RATING_RANGES, VALUE_REQUIRED_TYPES } from '../contract/catalog.js';
import { CustomerEventSchema, type CustomerEvent } from '../contract/event.js';
import { isEventSubject, parseEventSubject } from '../contract/subjects.js';
import { fieldProblem, hasLoneSurrogate, isPlainObject, propsProblem } from './field-problem.js';
import type { DecodeOptions } from './options.js';
import { Problem, show } from './problem.js';

// A Map, not an index into RATING_RANGES: custom types such as 'constructor' or '__proto__' are valid and
// would otherwise read Object.prototype members as ranges.
const ratingRanges = new Map<string, readonly [number, number]>(
  Object.entries(RATING_RANGES).filter((e): e is [string, readonly [number, number]] => e[1] !== undefined),
);

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
  const range = ratingRanges.get(type);
  if (range !== undefined && (value < range[0] || value > range[1])) {
    return new Problem(
      'out_of_range',
      `value: ${type} must be within ${range[0]}..${range[1]}, got ${value}`,
    );
  }
  if (value < 0 && NON_NEGATIVE_VALUE_TYPES.has(type)) {
    return new Problem('out_of_range', `value: ${type} must be >= 0, got ${value}`);
  }
  return undefined;
}

function subjectProblem(prefix: string, subject: string, event: CustomerEvent): Problem | undefined {
  if (isEventSubject(prefix, subject, event.customerId, event.type)) return undefined;
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
  const problem = domainProblem(payload) ?? subjectProblem(options.subjectPrefix, subject, payload);
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
