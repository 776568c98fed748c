import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { ChurnflowError } from '../contract/codes.js';

/** Names and limits of the event stream and the engine's durable consumer. */
export interface EventStreamSpec {
  readonly stream: string;
  /** Subjects the stream captures, e.g. `events.>`. */
  readonly subjects: readonly string[];
  readonly consumer: string;
  /** Only this filter is consumed (an instance's partition, e.g. `events.>`). */
  readonly filterSubject: string;
  readonly maxAckPending: number;
  readonly ackWaitMs: number;
  /**
   * Start the durable over from the stream's first message (delete and recreate it). Customer state lives in
   * memory, so a starting engine must replay the whole stream to rebuild it; resuming after the last ack would
   * leave every window and lifetime total short.
   */
  readonly replayFromStart?: boolean;
  /**
   * Start (or restart) the consumer at this stream sequence instead of the first: the message right after the
   * snapshot the engine restored. Implies a fresh consumer, like `replayFromStart`.
   */
  readonly startSeq?: number;
}

/**
 * Creates the event stream when missing (file storage) and the durable pull consumer, or updates the consumer's
 * limits when it exists. The consumer acknowledges cumulatively (AckPolicy.All): one ack covers a whole batch.
 */
export async function ensureEventStream(jsm: JetStreamManager, spec: EventStreamSpec): Promise<void> {
  await ensureStream(jsm, spec.stream, spec.subjects);
  if (spec.replayFromStart === true || spec.startSeq !== undefined) {
    await jsm.consumers.delete(spec.stream, spec.consumer).catch((err: unknown) => {
      if (!isNotFound(err)) throw setupError(`cannot reset consumer ${spec.consumer}`, err);
    });
  }
  await ensureConsumer(jsm, spec);
}

/**
 * Creates a file-backed stream capturing `subjects` unless one named `name` exists (an existing stream is left as
 * its operators configured it). `maxAgeMs` bounds how long messages are kept (default: no limit);
 * `duplicateWindowMs` how long a `Nats-Msg-Id` is remembered (default: the server's 2 minutes).
 */
export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: readonly string[],
  maxAgeMs = 0,
  duplicateWindowMs = 0,
): Promise<void> {
  try {
    await jsm.streams.info(name);
  } catch (err) {
    if (!isNotFound(err)) throw setupError(`cannot look up stream ${name}`, err);
    await jsm.streams
      .add({
        name,
        subjects: [...subjects],
        storage: StorageType.File,
        max_age: maxAgeMs * 1_000_000,
        ...(duplicateWindowMs > 0 ? { duplicate_window: duplicateWindowMs * 1_000_000 } : {}),
      })
      .catch((e: unknown) => {
        throw setupError(`cannot create stream ${name}`, e);
      });
  }
}

/**
 * Makes the stream `name` capture every subject of `wanted`: creates it when missing; adds what an existing stream
 * does not cover (an upgrade, or a switch to partitioned subjects), keeping its other settings and messages.
 */
export async function ensureStreamCaptures(
  jsm: JetStreamManager,
  name: string,
  wanted: readonly string[],
  create: { readonly maxAgeMs?: number; readonly duplicateWindowMs?: number } = {},
): Promise<void> {
  let existing: readonly string[] | undefined;
  try {
    existing = (await jsm.streams.info(name)).config.subjects ?? [];
  } catch (err) {
    if (!isNotFound(err)) throw setupError(`cannot look up stream ${name}`, err);
  }
  if (existing === undefined) {
    await ensureStream(jsm, name, wanted, create.maxAgeMs, create.duplicateWindowMs);
    return;
  }
  const have = existing;
  const missing = wanted.filter((s) => !have.some((pattern) => subjectCovers(pattern, s)));
  if (missing.length === 0) return;
  await jsm.streams.update(name, { subjects: [...have, ...missing] }).catch((err: unknown) => {
    throw setupError(
      `stream ${name} does not capture ${missing.join(', ')} and cannot be updated to ` +
        `(the engine needs $JS.API.STREAM.UPDATE.${name} once, or add the subjects yourself)`,
      err,
    );
  });
}

/**
 * Whether every subject `subject` matches is also matched by `pattern` (NATS wildcards: `*` one token, `>` one or
 * more at the end), e.g. `churnflow.>` covers `churnflow.dlq.>`; `churnflow.dlq` does not.
 */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t === '*') {
      if (s[i] === '>') return false;
    } else if (t !== s[i]) {
      return false;
    }
  }
  return p.length === s.length;
}

/** (Re)creates the durable consumer; also used when the server reports it deleted. */
export async function ensureConsumer(jsm: JetStreamManager, spec: EventStreamSpec): Promise<void> {
  const filter = await filterNeeded(jsm, spec);
  const config = {
    durable_name: spec.consumer,
    ack_policy: AckPolicy.All,
    ...(spec.startSeq === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: spec.startSeq }),
    ...(filter ? { filter_subject: spec.filterSubject } : {}),
    max_ack_pending: spec.maxAckPending,
    ack_wait: spec.ackWaitMs * 1_000_000,
  };
  try {
    await jsm.consumers.info(spec.stream, spec.consumer);
    await jsm.consumers.update(spec.stream, spec.consumer, {
      max_ack_pending: config.max_ack_pending,
      ack_wait: config.ack_wait,
    });
  } catch (err) {
    if (!isNotFound(err)) throw setupError(`cannot look up consumer ${spec.consumer}`, err);
    await jsm.consumers.add(spec.stream, config).catch((e: unknown) => {
      throw setupError(`cannot create consumer ${spec.consumer} on ${spec.stream}`, e);
    });
  }
}

/**
 * Whether the consumer needs its filter: not when it is the stream's only subject. nats-server before 2.9.15
 * recomputes a filtered consumer's pending count by scanning the stream on every CONSUMER.INFO and CREATE, in the
 * connection's read loop (2-5 s at 400k messages, stalling every ack and pull behind it); unfiltered it is O(1).
 */
async function filterNeeded(jsm: JetStreamManager, spec: EventStreamSpec): Promise<boolean> {
  const subjects = await jsm.streams
    .info(spec.stream)
    .then((info) => info.config.subjects ?? [])
    .catch(() => []);
  return !(subjects.length === 1 && subjects[0] === spec.filterSubject);
}

/** JetStream answers "not found" with status 404 (stream: 10059, consumer: 10014). */
function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.status === 404;
}

function setupError(message: string, cause: unknown): ChurnflowError {
  return new ChurnflowError('NATS_SETUP_FAILED', `${message}: ${String(cause)}`, {}, { cause });
}
