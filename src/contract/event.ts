import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS, CUSTOM_TYPE_PATTERN } from './catalog.js';

/** Longest customer id, in characters. */
export const MAX_CUSTOMER_ID_LENGTH = 128;
/** Longest producer event id, in characters. */
export const MAX_EVENT_ID_LENGTH = 128;
/** Most entries in `props`. */
export const MAX_PROPS = 32;
/** Keys of `props`: any characters, at most 64 of them. */
export const PROPS_KEY_PATTERN = '^[\\s\\S]{0,64}$';

/**
 * The JSON Schema of one customer event, as producers publish it on `events.<customer>.<type>`.
 * The TypeScript type {@link CustomerEvent} and the shipped `schemas/customer-event.json` both come from here.
 */
export const CustomerEventSchema = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_EVENT_ID_LENGTH,
        description: "Producer's event id; also sent as the Nats-Msg-Id header for JetStream de-duplication.",
      }),
    ),
    customerId: Type.String({
      minLength: 1,
      maxLength: MAX_CUSTOMER_ID_LENGTH,
      description: 'The customer.',
    }),
    type: Type.String({
      pattern: CUSTOM_TYPE_PATTERN,
      description: 'One of the catalog types, or a custom type [a-z0-9_]{1,64}.',
    }),
    ts: Type.Number({ minimum: 0, description: 'Event time, epoch milliseconds.' }),
    value: Type.Optional(
      Type.Number({ description: 'Amount, rating, duration (seconds) or points, by type. Finite.' }),
    ),
    channel: Type.Optional(
      Type.Union(
        CHANNELS.map((c) => Type.Literal(c)),
        { description: 'The touchpoint channel.' },
      ),
    ),
    props: Type.Optional(
      // The key limit is a pattern plus additionalProperties: false because TypeBox drops a Record key's
      // maxLength, and its default key pattern '^(.*)$' lets keys holding a newline skip the value check.
      Type.Record(
        Type.String({ pattern: PROPS_KEY_PATTERN }),
        Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]),
        {
          maxProperties: MAX_PROPS,
          additionalProperties: false,
          description: 'Free-form attributes: at most 32 keys of at most 64 characters; values are flat.',
        },
      ),
    ),
  },
  {
    $id: 'https://churnflow.dev/schemas/customer-event.json',
    title: 'CustomerEvent',
    // Unknown top-level fields are tolerated (and dropped) so producers can add fields before the engine knows them.
    description: 'One customer touchpoint event.',
  },
);

/** One customer touchpoint event. See the design's "Input: events". */
export type CustomerEvent = Static<typeof CustomerEventSchema>;
