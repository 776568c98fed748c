import { Type, type Static } from '@sinclair/typebox';
import { STAGES } from './stages.js';
import { MAX_CUSTOMER_ID_LENGTH } from './event.js';

/**
 * The JSON Schema of a score update, published on `churnflow.scores.<customer token>` (MessagePack by default,
 * JSON by configuration). The TypeScript type {@link ScoreUpdate} and the shipped `schemas/score-update.json`
 * both come from here. Unknown fields may be added in later versions; consumers should ignore them.
 */
export const ScoreUpdateSchema = Type.Object(
  {
    customerId: Type.String({
      minLength: 1,
      maxLength: MAX_CUSTOMER_ID_LENGTH,
      description: 'The customer, as in its events.',
    }),
    seq: Type.Integer({
      minimum: 1,
      description:
        'Per-customer sequence number, increasing with every update and across engine restarts (it counts up from the engine start time in ms × 1000); drop an update whose seq is not above the last seen.',
    }),
    eventTime: Type.Number({
      minimum: 0,
      description:
        'The event time the scores reflect (the watermark when they were computed), epoch milliseconds.',
    }),
    churnRisk: Type.Number({ minimum: 0, maximum: 1, description: 'P(churn) from the churn model, 0..1.' }),
    engagement: Type.Integer({ minimum: 0, maximum: 100, description: 'Engagement score, 0..100.' }),
    stage: Type.Union(
      STAGES.map((s) => Type.Literal(s)),
      { description: 'Lifecycle stage.' },
    ),
    segments: Type.Array(Type.String(), { description: 'Names of the segments the customer is in now.' }),
    reasons: Type.Array(
      Type.Object({
        feature: Type.String({ description: 'Feature name from the feature catalog.' }),
        direction: Type.Union([Type.Literal('up'), Type.Literal('down')], {
          description: "'up': this feature raises the churn risk; 'down': it lowers it.",
        }),
        weight: Type.Number({ description: 'Relative contribution; larger magnitude = stronger.' }),
      }),
      { description: 'Top reasons behind the churn risk, strongest first; may be empty.' },
    ),
    model: Type.Object(
      {
        name: Type.String({ description: 'Model name from its manifest.' }),
        version: Type.String({ description: 'Model version from its manifest.' }),
      },
      { description: 'The churn model that produced churnRisk.' },
    ),
    pAlive: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'BG/NBD probability that the customer is still active.',
      }),
    ),
    expectedPurchases: Type.Optional(
      Type.Number({ minimum: 0, description: 'BG/NBD expected purchases over the configured horizon.' }),
    ),
    predictedClv: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'Predicted customer value over the configured horizon (currency units): BG/NBD expected purchases × Gamma-Gamma expected spend, discounted monthly at score.clvAnnualDiscountRate. Present when the model carries Gamma-Gamma parameters.',
      }),
    ),
    evicted: Type.Optional(
      Type.Literal(true, {
        description:
          "The customer's last update: silent for state.retentionDays, it left the engine's state (the scores are its last ones). A later event starts it afresh.",
      }),
    ),
  },
  {
    $id: 'https://churnflow.dev/schemas/score-update.json',
    title: 'ScoreUpdate',
    description: "One customer's current scores, stage and segments.",
  },
);

/** One customer's current scores, stage and segments, as published on `churnflow.scores.<customer token>`. */
export type ScoreUpdate = Static<typeof ScoreUpdateSchema>;

/**
 * The headers of a dead-letter message on `churnflow.dlq.<customer token>` (or `churnflow.dlq.$unknown`: see
 * deadLetterSubject). Its payload is the original message's bytes, unchanged (or their first bytes when the whole
 * would not fit: see `truncated`), and the original `Content-Type` header is copied when there was one.
 */
export const DeadLetterHeaders = {
  /** The reason code, a key of DLQ_REASONS (e.g. `missing_field`). */
  reason: 'Churnflow-Reason',
  /** Human-readable detail naming the field and value. */
  detail: 'Churnflow-Detail',
  /** The subject the message was originally published on. */
  subject: 'Churnflow-Subject',
  /** The original JetStream stream sequence, decimal. */
  streamSeq: 'Churnflow-Stream-Seq',
  /** Copied from the original message when present. */
  contentType: 'Content-Type',
  /**
   * `true` when the payload is only the first bytes of the original: the whole would not fit the server's
   * `max_payload` (or the stream's `max_msg_size`) beside the headers. The original stays in the event stream at
   * `Churnflow-Stream-Seq`. Absent when the payload is whole.
   */
  truncated: 'Churnflow-Truncated',
  /** The original payload's size in bytes, decimal; set on truncated dead letters. */
  originalSize: 'Churnflow-Original-Size',
} as const;

/** The name of one dead-letter header. */
export type DeadLetterHeader = (typeof DeadLetterHeaders)[keyof typeof DeadLetterHeaders];
