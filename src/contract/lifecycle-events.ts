import { Type, type Static } from '@sinclair/typebox';
import { STAGES } from './stages.js';
import { MAX_CUSTOMER_ID_LENGTH } from './event.js';

const customerId = Type.String({
  minLength: 1,
  maxLength: MAX_CUSTOMER_ID_LENGTH,
  description: 'The customer.',
});
const eventTime = Type.Number({
  minimum: 0,
  description: 'The event time at which it became true, epoch ms.',
});
const dwellMs = Type.Number({ minimum: 0, description: 'How long the customer was in the prior state, ms.' });
const idempotencyKey = Type.String({
  description: 'The same for a redelivered or re-published change: de-duplicate on it.',
});
const stage = Type.Union(
  STAGES.map((s) => Type.Literal(s)),
  { description: 'Lifecycle stage.' },
);

/**
 * A customer entering or leaving a segment, published on `churnflow.segments.<segment>.entered|exited`
 * (MessagePack by default, JSON by configuration).
 */
export const SegmentChangeSchema = Type.Object(
  {
    customerId,
    segment: Type.String({ pattern: '^[a-z0-9_]{1,64}$', description: 'Segment name from the rules file.' }),
    kind: Type.Union([Type.Literal('entered'), Type.Literal('exited')]),
    prior: Type.Boolean({
      description: 'Membership before the change (false for entered, true for exited).',
    }),
    member: Type.Boolean({ description: 'Membership after the change.' }),
    reason: Type.Array(Type.String(), {
      description: 'The clauses of the deciding rule that held, as written.',
    }),
    dwellMs,
    eventTime,
    idempotencyKey,
  },
  {
    $id: 'https://churnflow.dev/schemas/segment-change.json',
    title: 'SegmentChange',
    description: 'A customer entered or exited a segment.',
  },
);

/** A customer entering or leaving a segment. */
export type SegmentChange = Static<typeof SegmentChangeSchema>;

/** A lifecycle stage transition, published on `churnflow.stages.<stage>.entered`. */
export const StageTransitionSchema = Type.Object(
  {
    customerId,
    from: Type.Union([stage, Type.Null()], { description: 'The prior stage; null for a new customer.' }),
    to: stage,
    reason: Type.String({ description: 'Which stage rule decided (see docs/scoring.md).' }),
    dwellMs,
    eventTime,
    idempotencyKey,
  },
  {
    $id: 'https://churnflow.dev/schemas/stage-transition.json',
    title: 'StageTransition',
    description: 'A customer moved to another lifecycle stage.',
  },
);

/** A lifecycle stage transition. */
export type StageTransition = Static<typeof StageTransitionSchema>;
