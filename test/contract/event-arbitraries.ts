/**
 * fast-check arbitraries of customer events: fully valid ones (schema and domain rules), and mutations of them
 * that break or keep the schema, for the decode and shipped-schema property tests.
 */
import fc from 'fast-check';
import {
  CHANNELS,
  EVENT_TYPES,
  NON_NEGATIVE_VALUE_TYPES,
  RATING_RANGES,
  VALUE_REQUIRED_TYPES,
  maxEventValue,
  type CatalogEventType,
} from '../../src/contract/catalog.js';
import { MAX_CUSTOMER_ID_LENGTH } from '../../src/contract/event.js';

/** The latest event time the arbitraries produce, epoch ms. */
export const LATEST_TS = 1_760_000_000_000;

/** Valid customer ids: any Unicode text (astral included, no lone surrogates) of 1..128 UTF-16 units. */
export const customerIdArb = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('a', 'Z', '0', '_', '-', '.', ' ', '@', '*', '>', '%'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    minLength: 1,
    maxLength: 96,
  })
  .filter((s) => s.length <= MAX_CUSTOMER_ID_LENGTH);

// 'constructor' and '__proto__' are valid custom types that trip up lookups in plain objects.
const typeArb = fc.oneof(
  fc.constantFrom(...EVENT_TYPES),
  fc.constantFrom('constructor', '__proto__', 'tostring', 'hasownproperty'),
  fc.stringMatching(/^[a-z0-9_]{1,64}$/),
);
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const propValueArb = fc.oneof(fc.string({ maxLength: 256 }), finite, fc.boolean());

/** Events that satisfy CustomerEventSchema only (domain rules such as rating ranges may fail). */
export const schemaValidEventArb = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 128 }),
    customerId: customerIdArb,
    type: typeArb,
    ts: fc.oneof(fc.integer({ min: 0, max: LATEST_TS }), fc.double({ min: 0, max: LATEST_TS, noNaN: true })),
    value: finite,
    channel: fc.constantFrom(...CHANNELS),
    props: fc.dictionary(fc.string({ maxLength: 64 }), propValueArb, { maxKeys: 32 }),
  },
  { requiredKeys: ['customerId', 'type', 'ts'] },
);

/**
 * Makes `value` fit the type's domain rules (present when required, within rating range or MAX_EVENT_VALUE,
 * not negative).
 */
function fitValue(event: Record<string, unknown>): Record<string, unknown> {
  const type = event.type as string;
  let value = event.value as number | undefined;
  if (value === undefined && VALUE_REQUIRED_TYPES.has(type)) value = 1;
  if (value === undefined) return event;
  const range = Object.hasOwn(RATING_RANGES, type) ? RATING_RANGES[type as CatalogEventType] : undefined;
  if (range !== undefined) value = range[0] + (Math.abs(value) % (range[1] - range[0]));
  const max = maxEventValue(type);
  if (Math.abs(value) > max) value %= max;
  if (NON_NEGATIVE_VALUE_TYPES.has(type)) value = Math.abs(value);
  return { ...event, value };
}

/** Events the decode stage accepts (when sent on their own subject, not in the future). */
export const validEventArb = schemaValidEventArb.map(fitValue);

const oddValueArb = fc.oneof(
  fc.constantFrom(null, NaN, Infinity, -Infinity, -1, 0, 1.5, '', true, [], {}),
  fc.string({ maxLength: 8 }),
  fc.string({ minLength: 60, maxLength: 300 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
/** One change to a record: drop or replace a field, bend props, or replace the whole value. */
export type Mutation =
  | { readonly kind: 'delete'; readonly field: string }
  | { readonly kind: 'set'; readonly field: string; readonly to: unknown }
  | { readonly kind: 'prop'; readonly key: string; readonly to: unknown }
  | { readonly kind: 'manyProps'; readonly count: number }
  | { readonly kind: 'replace'; readonly to: unknown };

/** Mutations of records whose fields are drawn from `fieldArb`. */
export function mutationArbOf(fieldArb: fc.Arbitrary<string>): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), field: fieldArb }),
    fc.record({ kind: fc.constant('set' as const), field: fieldArb, to: oddValueArb }),
    fc.record({
      kind: fc.constant('prop' as const),
      key: fc.oneof(
        fc.string({ maxLength: 4 }),
        fc.string({ minLength: 63, maxLength: 66 }),
        fc.constant('a\nb'),
      ),
      to: fc.oneof(oddValueArb, propValueArb),
    }),
    fc.record({ kind: fc.constant('manyProps' as const), count: fc.integer({ min: 30, max: 34 }) }),
    fc.record({ kind: fc.constant('replace' as const), to: oddValueArb }),
  );
}

/** Mutations of customer events (known fields plus an unknown 'extra'). */
export const mutationArb = mutationArbOf(
  fc.constantFrom('id', 'customerId', 'type', 'ts', 'value', 'channel', 'props', 'extra'),
);

/** The mutated copy of a record (the input is not changed). */
export function mutate(record: Record<string, unknown>, mutation: Mutation): unknown {
  const copy: Record<string, unknown> = { ...record };
  switch (mutation.kind) {
    case 'delete':
      delete copy[mutation.field];
      return copy;
    case 'set':
      copy[mutation.field] = mutation.to;
      return copy;
    case 'prop':
      copy.props = { ...(copy.props as object | undefined), [mutation.key]: mutation.to };
      return copy;
    case 'manyProps':
      copy.props = Object.fromEntries(Array.from({ length: mutation.count }, (_, i) => [`p${i}`, i]));
      return copy;
    case 'replace':
      return mutation.to;
  }
}

/** Mutated events: some still valid, most not. */
export const mutatedEventArb = fc
  .tuple(validEventArb, mutationArb)
  .map(([event, mutation]) => mutate(event, mutation));
