import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { deadLetterSubject } from '../contract/subjects.js';
import type { Rejection } from '../decode/types.js';
import type { EngineMetrics } from '../metrics/index.js';
import { deadLetterMessage } from './dead-letter-message.js';
import { ensureDeadLetterStream } from './dead-letter-stream.js';
import { isMissingStream } from '../nats/index.js';
import { DeadLettersNotStoredError, isRetryable, isTooLarge } from './store-errors.js';

/** Options of {@link deadLetterPublisher}. */
export interface DeadLetterPublisherOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /**
   * The dead-letter subject base, `<prefix>.dlq`: each dead letter goes to `<base>.<customer token>` (the rejection's
   * `customerToken`), or `<base>.$unknown` when its customer is not known (see deadLetterSubject).
   */
  readonly subject: string;
  /**
   * The stream that keeps dead letters: recreated (with the settings of the start) when a dead letter finds no
   * stream, and asked for its `max_msg_size` when it refuses one as too large. Without it, neither happens.
   */
  readonly stream?: { readonly jsm: JetStreamManager; readonly name: string };
  readonly log?: Logger;
  readonly metrics?: EngineMetrics;
  /** Told after every call whether all its dead letters were stored, with why not (readiness). */
  readonly onHealth?: (stored: boolean, detail: string) => void;
}

/**
 * Stores dead letters through JetStream on `<base>.<customer token>`, all of a batch in parallel, each once
 * (`Nats-Msg-Id`). A dead letter whose whole would exceed the server's `max_payload` is stored truncated (and one
 * refused by the stream as too large, cut to the stream's `max_msg_size`), so no message is too big to dead-letter.
 * When the stream is missing (or does not capture `<base>.>`) it is recreated (or updated) and the failed ones
 * published again, once. Rejects with {@link DeadLettersNotStoredError} naming the dead letters not stored;
 * retrying is the caller's decision (see storeDeadLetters).
 */
export function deadLetterPublisher(
  opts: DeadLetterPublisherOptions,
): (rejections: readonly Rejection[]) => Promise<void> {
  const { log, metrics } = opts;

  const publishWithin = async (r: Rejection, limitBytes: number): Promise<void> => {
    const m = deadLetterMessage(r, limitBytes);
    await opts.js.publish(deadLetterSubject(opts.subject, r.customerToken), m.data, { headers: m.headers });
    if (!m.truncated) return;
    metrics?.deadLettersTruncated.inc({ reason: r.reason });
    log?.warn(
      {
        subject: r.subject,
        streamSeq: r.streamSeq,
        reason: r.reason,
        originalBytes: r.data.byteLength,
        storedBytes: m.data.byteLength,
      },
      'dead letter stored truncated: the whole would exceed the size limit (the original stays in the event stream)',
    );
  };

  const storeOne = async (r: Rejection): Promise<void> => {
    const maxPayload = opts.nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
    try {
      await publishWithin(r, maxPayload);
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      // Refused for its size all the same: the stream's max_msg_size is below max_payload. Cut to that, or to
      // nothing but the headers when it is not known.
      const streamMax = await streamMaxMessageBytes();
      await publishWithin(r, streamMax > 0 && streamMax < maxPayload ? streamMax : 0);
    }
  };

  const streamMaxMessageBytes = async (): Promise<number> => {
    if (opts.stream === undefined) return 0;
    const info = await opts.stream.jsm.streams.info(opts.stream.name).catch(() => undefined);
    return info?.config.max_msg_size ?? 0;
  };

  /** Stores each; returns those that failed, with why. */
  const storeAll = async (rs: readonly Rejection[]): Promise<Array<[Rejection, unknown]>> => {
    const settled = await Promise.allSettled(rs.map(storeOne));
    const failed: Array<[Rejection, unknown]> = [];
    settled.forEach((s, i) => {
      if (s.status === 'rejected') failed.push([rs[i]!, s.reason]);
    });
    return failed;
  };

  const recreateStream = async (): Promise<boolean> => {
    const stream = opts.stream;
    if (stream === undefined) return false;
    try {
      await ensureDeadLetterStream(stream.jsm, stream.name, opts.subject);
      metrics?.natsIncidents.inc({ kind: 'dead_letter_stream_recreated' });
      log?.warn(
        { stream: stream.name, subject: opts.subject },
        'dead-letter stream was missing (or did not capture the dead-letter subjects): recreated or updated it',
      );
      return true;
    } catch (err) {
      log?.error({ err, stream: stream.name }, 'dead-letter stream is missing and cannot be recreated');
      return false;
    }
  };

  return async (rejections) => {
    let failed = await storeAll(rejections);
    if (failed.some(([, err]) => isMissingStream(err)) && (await recreateStream())) {
      failed = await storeAll(failed.map(([r]) => r));
    }
    if (failed.length === 0) {
      opts.onHealth?.(true, 'stored');
      return;
    }
    metrics?.publishFailures.inc({ kind: 'dead_letter' }, failed.length);
    const cause = (failed.find(([, err]) => isRetryable(err)) ?? failed[0]!)[1];
    const error = new DeadLettersNotStoredError(
      failed.map(([r]) => r),
      cause,
    );
    opts.onHealth?.(false, error.message);
    throw error;
  };
}
