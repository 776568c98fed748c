import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import { DeadLetterHeaders, type ScoreUpdate } from '../contract/score-update.js';
import { customerToken } from '../contract/subjects.js';
import type { Rejection } from '../decode/types.js';
import type { OutputSink } from './sink.js';

/** Options of {@link natsSink}. */
export interface NatsSinkOptions {
  readonly nc: NatsConnection;
  /** Used for dead letters, so each is stored (the DLQ stream captures `<prefix>.dlq`) before the original is acked. */
  readonly js: JetStreamClient;
  /** Output subject prefix (default `churnflow`). */
  readonly prefix: string;
  readonly encoding: 'msgpack' | 'json';
}

const packr = new Packr({ useRecords: false });
const encoder = new TextEncoder();

/** Encodes a score update as configured; MessagePack maps use the same field names as the JSON. */
export function encodeScoreUpdate(update: ScoreUpdate, encoding: 'msgpack' | 'json'): Uint8Array {
  return encoding === 'json' ? encoder.encode(JSON.stringify(update)) : packr.pack(update);
}

/**
 * Publishes score updates on `<prefix>.scores.<customer token>` (core NATS: buffered, no round trip) with a
 * Content-Type header, and dead letters on `<prefix>.dlq` through JetStream with the reason in headers, the
 * original Content-Type when there was one, and a `Nats-Msg-Id` ({@link deadLetterMsgId}) for de-duplication.
 */
export function natsSink(opts: NatsSinkOptions): OutputSink {
  const contentType = opts.encoding === 'json' ? 'application/json' : 'application/msgpack';
  const scoreHeaders = natsHeaders();
  scoreHeaders.set('Content-Type', contentType);
  const dlqSubject = `${opts.prefix}.dlq`;
  const encode = (payload: object): Uint8Array =>
    opts.encoding === 'json' ? encoder.encode(JSON.stringify(payload)) : packr.pack(payload);
  return {
    publishScores(updates) {
      for (const u of updates) {
        opts.nc.publish(
          `${opts.prefix}.scores.${customerToken(u.customerId)}`,
          encodeScoreUpdate(u, opts.encoding),
          {
            headers: scoreHeaders,
          },
        );
      }
    },
    publishSegmentChanges(changes) {
      for (const c of changes) {
        opts.nc.publish(`${opts.prefix}.segments.${c.segment}.${c.kind}`, encode(c), {
          headers: scoreHeaders,
        });
      }
    },
    publishStageTransitions(transitions) {
      for (const t of transitions) {
        opts.nc.publish(`${opts.prefix}.stages.${t.to}.entered`, encode(t), { headers: scoreHeaders });
      }
    },
    publishShadowScores(scores) {
      for (const sc of scores) {
        const payload = { ...sc, churnRisk: Math.round(sc.churnRisk * 10_000) / 10_000 };
        opts.nc.publish(
          `${opts.prefix}.shadow.scores.${customerToken(sc.customerId)}`,
          opts.encoding === 'json' ? encoder.encode(JSON.stringify(payload)) : packr.pack(payload),
          { headers: scoreHeaders },
        );
      }
    },
    async deadLetter(rejections) {
      await Promise.all(
        rejections.map((r) =>
          opts.js.publish(dlqSubject, r.data, { headers: dlqHeaders(r), msgID: deadLetterMsgId(r) }),
        ),
      );
    },
    flush: () => opts.nc.flush(),
    // The connection belongs to the runtime, which drains it after the sink.
    close: () => opts.nc.flush(),
  };
}

/**
 * The `Nats-Msg-Id` of a dead letter: the original's subject and stream sequence, the same on every redelivery of
 * its batch (and on a retry after a partial publish), so JetStream stores it once within the DLQ stream's
 * duplicate window.
 */
function deadLetterMsgId(r: Rejection): string {
  return `${r.subject}:${r.streamSeq}`;
}

function dlqHeaders(r: Rejection) {
  const h = natsHeaders();
  h.set(DeadLetterHeaders.reason, r.reason);
  h.set(DeadLetterHeaders.detail, headerSafe(r.detail));
  h.set(DeadLetterHeaders.subject, headerSafe(r.subject));
  h.set(DeadLetterHeaders.streamSeq, String(r.streamSeq));
  // The payload is the original bytes: a consumer needs the original Content-Type to read them.
  if (r.contentType) h.set(DeadLetterHeaders.contentType, headerSafe(r.contentType));
  return h;
}

/** Header values must be printable ASCII on one line; the detail may quote hostile input. */
function headerSafe(s: string): string {
  const cleaned = s.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 512 ? `${cleaned.slice(0, 509)}...` : cleaned;
}
