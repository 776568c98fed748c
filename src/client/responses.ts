import { Type, type Static } from '@sinclair/typebox';
import { STAGES } from '../contract/stages.js';
import { ScoreUpdateSchema } from '../contract/score-update.js';

// The reply shapes of the request endpoints, as TypeBox (hence JSON Schema) objects the client checks replies
// against. They live here, not in src/contract, because only the client needs them at run time; a type test
// (test/client/shapes.test.ts) checks the engine's own types fit them, so the two cannot drift apart silently.
// Objects accept unknown fields: later engine versions may add some.

// A NaN figure is `null` in a JSON reply (JSON has no NaN) and NaN in a MessagePack one.
const Figure = Type.Union([Type.Number(), Type.Null()]);
const Model = Type.Object({ name: Type.String(), version: Type.String() });

/** The reply of `customers.get`: the customer's current scores with its features, scored on demand. */
export const CustomerProfileSchema = Type.Object(
  {
    found: Type.Literal(true),
    customerId: Type.String({ minLength: 1 }),
    eventTime: Type.Number({ description: 'Event time the profile reflects (the engine clock), epoch ms.' }),
    features: Type.Record(Type.String(), Figure, { description: 'Feature values by catalog name.' }),
    churnRisk: Type.Number({ minimum: 0, maximum: 1 }),
    engagement: Type.Number({ minimum: 0, maximum: 100 }),
    stage: Type.Union(STAGES.map((s) => Type.Literal(s))),
    segments: Type.Array(Type.String()),
    reasons: ScoreUpdateSchema.properties.reasons,
    model: Model,
    pAlive: Type.Optional(Type.Number()),
    expectedPurchases: Type.Optional(Type.Number()),
    predictedClv: Type.Optional(Type.Number()),
    seq: Type.Integer({
      minimum: 0,
      description: 'The seq of the last score update published (0: none yet).',
    }),
  },
  { title: 'CustomerProfile' },
);
/** A customer as `customers.get` returns it. */
export type CustomerProfile = Static<typeof CustomerProfileSchema>;

/** One segment of `segments.list`: its rules and current size. */
export const SegmentSummarySchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  enter: Type.String(),
  exit: Type.String(),
  minDwellMs: Type.Number({ minimum: 0 }),
  size: Type.Integer({ minimum: 0 }),
});
/** One segment as `segments.list` returns it. */
export type SegmentSummary = Static<typeof SegmentSummarySchema>;

/** The reply of `segments.list`. */
export const SegmentListSchema = Type.Object({ segments: Type.Array(SegmentSummarySchema) });

/** The reply of `segments.dryrun`: how many customers the rule matches now, and a sample of their ids. */
export const DryRunResultSchema = Type.Object({
  matches: Type.Integer({ minimum: 0 }),
  evaluated: Type.Integer({ minimum: 0 }),
  sample: Type.Array(Type.String()),
});
/** What a dry run of a segment rule found. */
export type DryRunResult = Static<typeof DryRunResultSchema>;

/** The reply of `aggregates.get`: population figures from the last complete pass over every customer. */
export const AggregatesSchema = Type.Object({
  asOfMs: Type.Number(),
  passes: Type.Integer({ minimum: 1 }),
  customers: Type.Integer({ minimum: 0 }),
  retentionRate: Figure,
  retention: Type.Object({ start: Type.Number(), end: Type.Number(), acquired: Type.Number() }),
  averageClv: Figure,
  loyaltyPointsOutstanding: Type.Number(),
  stages: Type.Record(Type.String(), Type.Number()),
  risk: Type.Record(Type.String(), Type.Number()),
});
/** Population figures (retention, CLV, stage and risk counts). */
export type Aggregates = Static<typeof AggregatesSchema>;

// An absent version is left out of a JSON reply and nil in a MessagePack one.
const MaybeVersion = Type.Optional(Type.Union([Type.String(), Type.Null()]));

/** The reply of `models.status`: the champion model's versions. */
export const ModelStatusSchema = Type.Object({
  name: Type.String(),
  current: Type.String(),
  previous: MaybeVersion,
  pinned: Type.Optional(
    Type.Union([Type.Object({ version: Type.String(), ceiling: Type.String() }), Type.Null()]),
  ),
  refused: Type.Array(Type.Object({ version: Type.String(), reason: Type.String(), message: Type.String() })),
});
/** The champion model's current, previous, pinned and refused versions. */
export type ModelStatus = Static<typeof ModelStatusSchema>;

/** The reply of `models.rollback`. */
export const RollbackResultSchema = Type.Object({
  ok: Type.Literal(true),
  version: Type.String(),
  replaced: Type.String(),
});
/** The model version now current after a rollback, and the one it replaced. */
export type RollbackResult = Static<typeof RollbackResultSchema>;

/** The reply of `models.unpin`. */
export const UnpinResultSchema = Type.Object({
  ok: Type.Literal(true),
  unpinned: Type.Boolean(),
  version: Type.String(),
  replaced: MaybeVersion,
});
/** Whether a pin was lifted, and the model version current now. */
export type UnpinResult = Static<typeof UnpinResultSchema>;

/** The reply of `customers.erase`. */
export const EraseResultSchema = Type.Object({
  customerId: Type.String(),
  erased: Type.Literal(true),
  purgedEvents: Type.Integer({ minimum: 0 }),
  purgedDeadLetters: Type.Integer({ minimum: 0 }),
  snapshotsRewritten: Type.Boolean(),
});
/** What an erase did. */
export type EraseResult = Static<typeof EraseResultSchema>;

/**
 * The tombstone published on a customer's score subject when it is erased (GDPR). Not a score update: drop
 * everything held for the customer; a later update of the same id starts a new `seq` sequence.
 */
export const ScoreTombstoneSchema = Type.Object(
  {
    customerId: Type.String({ minLength: 1 }),
    erased: Type.Literal(true),
    seq: Type.Integer({ minimum: 1 }),
    erasedAt: Type.Number({ description: 'Wall-clock time of the erase, epoch ms.' }),
  },
  { title: 'ScoreTombstone' },
);
/** An erase tombstone on `<prefix>.scores.<customer token>`. */
export type ScoreTombstone = Static<typeof ScoreTombstoneSchema>;
