/**
 * The one catalogue of machine-readable codes: dead-letter reasons, request error codes and engine error codes.
 * Every code is documented in README.md ("Dead-letter reasons" / "Request errors" / "Errors"); a test checks it.
 */
export const DLQ_REASONS = {
  undecodable: 'The payload bytes are not valid MessagePack/JSON for the declared Content-Type.',
  unsupported_content_type: 'The Content-Type header names an encoding other than MessagePack or JSON.',
  payload_too_large: 'The payload is larger than ingest.maxPayloadBytes.',
  not_an_object: 'The payload decodes to something other than a map/object.',
  missing_field: 'A required field (customerId, type, ts, or value for types that carry one) is absent.',
  wrong_type: 'A field has the wrong type (e.g. ts is a string).',
  non_finite_number: 'A numeric field is NaN or infinite.',
  out_of_range:
    'A value or ts is outside its range: nps 0..10, csat/review 1..5, purchase/refund amounts and loyalty_redeem points 0..1e9, session 0..604800 seconds, any other value -1e9..1e9; ts >= 0.',
  invalid_customer_id:
    'customerId is empty, longer than 128 characters, or not valid Unicode (lone surrogates).',
  invalid_event_id: 'id is empty, longer than 128 characters, or not valid Unicode (lone surrogates).',
  invalid_type: 'type is not a catalog type nor a custom type matching [a-z0-9_]{1,64}.',
  invalid_channel: 'channel is not one of the known channels.',
  invalid_props: 'props is not a flat map of at most 32 string/number/boolean values.',
  invalid_subject: 'The subject is not events.<customer>.<type> or its customer token cannot be decoded.',
  subject_mismatch: "The subject's customer or type differs from the payload's.",
  wrong_partition:
    "The event is stored in another partition than its customer token hashes to (published past the server's mapping, or a mapping with another partition count).",
  too_far_in_future: 'ts is later than the time the stream stored the message + ingest.maxFutureMs.',
  too_old: 'ts is older than the retention horizon (state.horizonDays before the watermark).',
} as const;

/** A dead-letter reason code. */
export type DlqReason = keyof typeof DLQ_REASONS;

/**
 * Why `/readyz` answers 503: each reason is named in its JSON body and is a label of the gauge
 * `churnflow_not_ready{reason}` (1 while it holds). Documented in README.md ("Readiness"); a test checks it.
 */
export const NOT_READY_REASONS = {
  starting: 'The engine is starting: the NATS connection, the model or the pipeline is not up yet.',
  engine_not_running: 'The engine is draining, stopped or failed.',
  nats_disconnected: 'The NATS connection is down; the client reconnects forever.',
  not_consuming:
    'The consume loop is not running: missed heartbeats, a deleted consumer being recreated, or a failed start.',
  lagging:
    'More than health.maxPendingMessages messages are not yet acknowledged by the engine (replaying after a start, or behind), or that count has not been read recently.',
  stalled:
    "Messages are pending but the consumer's acknowledged position has not moved for health.stallAfterMs.",
  dead_letters:
    'Storing a dead letter failed within the last health.deadLetterFailureHoldMs and none was stored since.',
} as const;

/** A reason `/readyz` is not ready. */
export type NotReadyReason = keyof typeof NOT_READY_REASONS;

/**
 * Codes of request errors: every request answered with `{ "error": { "code", "message" } }` carries one of these.
 * Clients branch on the code, never on the message (which may change and truncates what it echoes).
 */
export const REQUEST_ERRORS = {
  body_too_large:
    'The request body is larger than requests.maxBodyBytes; it was refused before being parsed.',
  unsupported_content_type:
    'The Content-Type header names neither JSON (application/json) nor MessagePack (application/msgpack, application/x-msgpack).',
  undecodable:
    'The body is not valid JSON / MessagePack for its Content-Type, or, without a Content-Type, not valid JSON.',
  not_an_object: 'The body decodes to something other than a map/object where the request takes fields.',
  invalid_customer_id: 'customerId is missing, not a string, empty or longer than 128 characters.',
  invalid_rule: 'rule is missing, not a string, empty or longer than requests.maxRuleLength characters.',
  invalid_sample: 'sample is not a whole number from 0 to 100.',
  not_found: 'No customer with that id is held by the engine.',
  rule_refused:
    'The dry-run rule was refused by the rule compiler (syntax, unknown identifier, non-boolean, or a limit).',
  dry_run_failed:
    "The dry run did not complete (out of time, or the engine is stopping); the message starts with the engine's code.",
  not_ready: 'The answer does not exist yet (aggregates before the first full pass over every customer).',
  rollback_refused: 'There is no admitted model version below the current one to roll back to.',
  reply_too_large: "The answer would exceed the server's max_payload; it was not sent.",
  internal: 'The engine failed while answering; the engine log has the details.',
  erase_failed:
    'The customer was erased from the engine, but purging its events or rewriting the snapshots failed; repeat the erase.',
  partitions_incomplete:
    'With several instances: some partitions were answered by no instance in time (an owner died and its partitions are being taken over); retry.',
} as const;

/** A request error code. */
export type RequestErrorCode = keyof typeof REQUEST_ERRORS;

/** Engine error codes (thrown for fatal conditions, logged with context). */
export const ERROR_CODES = {
  CONFIG_INVALID:
    'The configuration file or an environment override failed validation; the message names the key.',
  CONFIG_UNREADABLE: 'The configuration file could not be read or parsed.',
  MODEL_INVALID: 'A model directory failed validation (manifest, feature list, input width, weights).',
  NATS_SERVER_UNAVAILABLE: 'The embedded nats-server could not be started.',
  NATS_SETUP_FAILED: 'The JetStream stream or consumer could not be created or bound.',
  PARTITION_LEASES_UNAVAILABLE:
    'The partition lease bucket (partitions.leaseBucket) could not be created, opened or read at start; see docs/partitions.md.',
  PARTITION_COUNT_MISMATCH:
    'partitions.count differs from the partition count the other instances on the lease bucket use; every instance must spread customers over the same P.',
  DEAD_LETTERS_NOT_STORED:
    'Some dead letters of a batch could not be stored (not fatal: retried within a bound, then logged in full and counted in churnflow_dead_letters_lost_total).',
  SEGMENTS_INVALID:
    'The segment rules file or a dry-run rule was refused (unreadable, bad JSON or shape, syntax error, unknown identifier, non-boolean rule, duplicate or invalid name, more than 32 segments, a rule over a limit of docs/segments.md "Limits", a dry-run sample that is not a whole number >= 0); the message names the rule, the identifier and the limit with the measured value.',
  DRY_RUN_TIMEOUT:
    'A dry run took longer than segments.dryRunTimeoutMs and was stopped; no partial result is given. The message says how many customers it had evaluated.',
  DRY_RUN_CANCELLED:
    'A dry run was stopped before it finished: the engine is shutting down, or the caller cancelled it.',
  PARTITIONS_INCOMPLETE:
    'A question about every customer could not be answered: some partitions were held by no running instance in time.',
  PARTITION_RESTORING:
    "A customer's partition is owned by this instance but still being restored (snapshot and tail); answered as not_ready.",
  SNAPSHOT_UNSUPPORTED:
    'A state snapshot is of another format version (or not a snapshot): it is refused, never misread; the engine falls back to an older snapshot or a full replay.',
  SNAPSHOT_CORRUPT:
    'A state snapshot failed its checksum or layout check; the engine falls back to an older snapshot or a full replay.',
  SNAPSHOT_GAP:
    'The event stream no longer holds the message right after the newest usable snapshot (retention too short for the snapshot interval); with snapshot.onGap "refuse" the engine does not start.',
} as const;

/** An engine error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The base of churnflow's errors: a stable `code` and typed context, never told apart by message text. */
export class ChurnflowError extends Error {
  override readonly name: string = 'ChurnflowError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: { readonly key?: string; readonly file?: string; readonly subject?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
